import { randomUUID } from 'node:crypto';
import type { SourceSettings } from '../config/settings.js';
import { ensureContainers } from '../blob/blobService.js';
import { messageOf } from '../errors/IngestError.js';
import { failedPlan, runFailureOf } from './planFailure.js';
import { planSync, type Plan, type PlanOptions } from './planSync.js';
import { summarize, writeRunSummary, type RunSummary } from './runSummary.js';
import { acquireSourceLock } from './sourceLock.js';
import type { SyncDeps } from './SyncDeps.js';
import { transferFiles, type TransferOptions } from './transferFiles.js';
import type { TransferResult } from './types.js';

/** The outcome of processing one blob, as the CLI reports it. */
export interface ProcessedFile {
  readonly blobName: string;
  readonly status: string;
  readonly recordsTotal: number;
  readonly recordsValid: number;
  readonly recordsRejected: number;
  readonly errorCode?: string;
  readonly error?: string;
}

/** A run in one process, as the CLI and the demo do it: plan, transfer, process, record. */
export interface RunOptions extends PlanOptions, Pick<TransferOptions, 'onFile' | 'onBytes'> {
  readonly dryRun?: boolean;
  /** Processes a committed blob; absent, the run only transfers. */
  readonly processFile?: (blobName: string) => Promise<ProcessedFile>;
  readonly onPlan?: (plan: Plan) => void;
  readonly runId?: string;
}

export interface RunReport {
  readonly plan: Plan;
  readonly summary: RunSummary;
  readonly transfers: readonly TransferResult[];
  readonly processed: readonly ProcessedFile[];
}

/** Files processed at once after transfer; processing is CPU-bound on this side. */
const processingConcurrency = 2;

/**
 * Runs one sync of a source under its lock. The same core the orchestrator calls step by step;
 * here the steps run back to back and processing follows the commits, because a local run has
 * no Event Grid to start it.
 */
export async function runSync(
  deps: SyncDeps,
  source: SourceSettings,
  options: RunOptions = {},
): Promise<RunReport> {
  const runId =
    options.runId ??
    `cli-${deps.now().toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;
  const startedAt = deps.now().toISOString();
  const { settings } = deps;
  await ensureContainers(deps.blobService, [
    settings.incomingContainer,
    settings.processedContainer,
    settings.runsContainer,
  ]);
  const lock = await acquireSourceLock(deps, source.name, runId);
  try {
    let plan: Plan;
    try {
      plan = await planSync(deps, source, runId, options);
    } catch (error) {
      // Recorded under this source, so its status shows the failure; the caller still fails,
      // and a storage fault while recording must not hide the error that failed the run.
      const failed = failedPlan(runId, source.name, source.ftp.root, runFailureOf(error));
      const summary = summarize(failed, [], startedAt, deps.now().toISOString(), !!options.dryRun);
      if (!options.dryRun) await writeRunSummary(deps, summary).catch(() => undefined);
      throw error;
    }
    options.onPlan?.(plan);
    const transfers = options.dryRun
      ? []
      : await transferFiles(deps, source, plan.transfers, runId, {
          connections: source.ftp.maxConnections,
          onFile: options.onFile,
          onBytes: options.onBytes,
        });
    const committed = transfers.filter((t) => t.outcome === 'transferred').map((t) => t.blobName);
    const processed =
      options.processFile === undefined ? [] : await processAll(committed, options.processFile);
    const summary = summarize(
      plan,
      transfers,
      startedAt,
      deps.now().toISOString(),
      options.dryRun === true,
    );
    if (!options.dryRun) await writeRunSummary(deps, summary);
    return { plan, summary, transfers, processed };
  } finally {
    await lock.release();
  }
}

async function processAll(
  blobNames: readonly string[],
  processFile: (blobName: string) => Promise<ProcessedFile>,
): Promise<ProcessedFile[]> {
  const queue = [...blobNames];
  const results: ProcessedFile[] = [];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      try {
        results.push(await processFile(name));
      } catch (error) {
        // A transient fault the Functions host would retry: report it; the next run retries.
        results.push({
          blobName: name,
          status: 'failed',
          recordsTotal: 0,
          recordsValid: 0,
          recordsRejected: 0,
          errorCode: 'INTERNAL',
          error: messageOf(error),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: processingConcurrency }, worker));
  return results;
}
