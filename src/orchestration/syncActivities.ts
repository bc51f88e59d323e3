import { ensureContainers } from '../blob/blobService.js';
import { IngestError } from '../errors/IngestError.js';
import { failedPlan, runFailureOf } from '../sync/planFailure.js';
import { planSync, type Plan } from '../sync/planSync.js';
import { summarize, writeRunSummary, type RunSummary } from '../sync/runSummary.js';
import { acquireRunLock, refreshRunLock, releaseRunLock } from '../sync/sourceLock.js';
import { findSource, type SyncDeps } from '../sync/SyncDeps.js';
import { transferFiles } from '../sync/transferFiles.js';
import type { PlannedFile, TransferResult } from '../sync/types.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { batchFiles } from './batchFiles.js';
import {
  batchResultBlobName,
  planBlobName,
  readRunsJson,
  writeRunsJson,
  type StoredPlan,
} from './planStore.js';
import type {
  BatchOutcome,
  PlanActivityInput,
  PlanDescriptor,
  RecordSummaryInput,
  TransferBatchInput,
} from './syncTypes.js';

/** What every activity gets from its host: the core's clients and the telemetry. */
export interface ActivityDeps extends SyncDeps {
  readonly telemetry: Telemetry;
}

const defaultBatchFiles = 200;
const defaultBatchBytes = 256 * 1024 * 1024;
const defaultBatchesPerExecution = 200;

/**
 * Plans a run and stores the full plan as a blob, returning only its descriptor. A permanent
 * fault (bad login, missing root) is stored as a plan with no files and one problem, so the run
 * ends with a summary naming it instead of retrying something that cannot succeed.
 */
export async function planActivity(
  deps: ActivityDeps,
  input: PlanActivityInput,
): Promise<PlanDescriptor> {
  const source = findSource(deps.settings, input.source);
  // Processing writes into the processed container as soon as the first blob lands.
  const { runsContainer, incomingContainer, processedContainer } = deps.settings;
  await ensureContainers(deps.blobService, [runsContainer, incomingContainer, processedContainer]);
  // Held until the summary is recorded, so a CLI run cannot sync the source meanwhile. Locked
  // by someone else is a transient fault: the orchestrator's retry waits for them.
  if (input.dryRun !== true) await acquireRunLock(deps, source.name, input.runId);
  let plan: Plan;
  try {
    plan = await planSync(deps, source, input.runId, { paths: input.paths, force: input.force });
  } catch (error) {
    if (!(error instanceof IngestError)) throw error;
    // Thrown for a retry; a run that gives up after every one still records which fault it was.
    if (error.transient) throw withCodeInMessage(error);
    deps.log.error({ runId: input.runId, source: source.name, err: error }, 'planning failed');
    plan = failedPlan(input.runId, source.name, source.ftp.root, runFailureOf(error));
  }
  const limits = {
    maxFiles: deps.settings.functions?.batchMaxFiles ?? defaultBatchFiles,
    maxBytes: deps.settings.functions?.batchMaxBytes ?? defaultBatchBytes,
  };
  const batches = input.dryRun === true ? [] : batchFiles(plan.transfers, limits);
  const planBlob = planBlobName(source.name, input.runId);
  const stored: StoredPlan = { plan, batches };
  await writeRunsJson(deps, planBlob, stored);
  return {
    runId: input.runId,
    source: source.name,
    planBlob,
    listed: plan.listed,
    counts: plan.counts,
    files: plan.transfers.length,
    bytes: plan.bytesPlanned,
    batches: batches.length,
    maxInFlight: source.ftp.maxConnections,
    batchesPerExecution: deps.settings.functions?.batchesPerExecution ?? defaultBatchesPerExecution,
  };
}

/**
 * Transfers one batch of a stored plan on one connection. Per-file failures come back in the
 * outcome; an unreachable server throws, so the orchestrator's retry runs the batch again.
 */
export async function transferBatchActivity(
  deps: ActivityDeps,
  input: TransferBatchInput,
): Promise<BatchOutcome> {
  const source = findSource(deps.settings, input.source);
  let files: readonly PlannedFile[];
  let results: TransferResult[];
  try {
    // The run shows life, and stops here if its lock went to another run meanwhile.
    await refreshRunLock(deps, source.name, input.runId);
    const stored = await readPlan(deps, input.planBlob);
    files = stored.batches[input.batchIndex] ?? [];
    results = await transferFiles(deps, source, files, input.runId);
  } catch (error) {
    // The code tells the orchestrator an outage (stop starting batches) from this batch's own.
    throw error instanceof IngestError ? withCodeInMessage(error) : error;
  }
  await writeRunsJson(deps, batchResultBlobName(input.planBlob, input.batchIndex), results);
  for (const result of results) report(deps.telemetry, input, result);
  await deps.telemetry.flush();
  return {
    batchIndex: input.batchIndex,
    files: files.length,
    transferred: results.filter((r) => r.outcome === 'transferred').length,
    touched: results.filter((r) => r.outcome === 'touched').length,
    failed: results.filter((r) => r.outcome === 'failed').length,
    bytes: results.reduce((sum, r) => sum + (r.outcome === 'transferred' ? r.bytes : 0), 0),
  };
}

/**
 * Folds the plan and every batch's stored results into the run summary, writes it and returns
 * it. Files of batches lost after every retry count as failed with the batch's last error.
 */
export async function recordSummaryActivity(
  deps: ActivityDeps,
  input: RecordSummaryInput,
): Promise<RunSummary> {
  const stored =
    input.failure === undefined
      ? await readPlan(deps, input.planBlob)
      : { plan: failedPlan(input.runId, input.source, '/', input.failure), batches: [] };
  const lost = new Map(input.lostBatches.map((b) => [b.batchIndex, b.error]));
  const [firstLost] = input.lostBatches;
  const isNotAttempted = (index: number) =>
    input.notAttemptedFrom !== undefined && index >= input.notAttemptedFrom;
  const results: TransferResult[] = [];
  for (const [index, files] of stored.batches.entries()) {
    const lostError = lost.get(index);
    const batchResults =
      lostError === undefined && !isNotAttempted(index)
        ? await readRunsJson<TransferResult[]>(deps, batchResultBlobName(input.planBlob, index))
        : undefined;
    if (batchResults !== undefined) {
      results.push(...batchResults);
      continue;
    }
    const why =
      lostError === undefined && isNotAttempted(index)
        ? `Not attempted: batch ${firstLost?.batchIndex} of this run was given up after every` +
          ` retry (${firstLost?.error}); the next run takes this file`
        : `The batch was given up after every retry: ${lostError ?? 'batch never reported'}`;
    results.push(...files.map((file) => lostFile(file, why)));
  }
  const finishedAt = deps.now().toISOString();
  const summary = summarize(stored.plan, results, input.startedAt, finishedAt, input.dryRun);
  const blobName = await writeRunSummary(deps, summary);
  await releaseRunLock(deps, stored.plan.source, input.runId);
  deps.telemetry.syncCompleted(summary, blobName);
  await deps.telemetry.flush();
  return summary;
}

async function readPlan(deps: SyncDeps, planBlob: string): Promise<StoredPlan> {
  const stored = await readRunsJson<StoredPlan>(deps, planBlob);
  if (stored === undefined)
    throw new IngestError('BLOB_NOT_FOUND', 'The stored plan of this run is missing', {
      blobName: planBlob,
    });
  return stored;
}

function report(telemetry: Telemetry, input: TransferBatchInput, result: TransferResult): void {
  const scope = {
    runId: input.runId,
    source: input.source,
    ftpPath: result.path,
    blobName: result.blobName,
  };
  if (result.outcome === 'failed')
    telemetry.fileFailed(scope, 'transfer', result.errorCode ?? 'INTERNAL', result.error ?? '');
  else telemetry.fileTransferred(scope, result.bytes, result.durationMs, result.outcome);
}

/** An orchestrator sees an activity's error only as text: this text leads with its code. */
function withCodeInMessage(error: IngestError): IngestError {
  return new IngestError(error.code, `${error.code}: ${error.message}`, error.context, error);
}

function lostFile(file: PlannedFile, error: string): TransferResult {
  return {
    path: file.path,
    blobName: file.blobName,
    outcome: 'failed',
    bytes: 0,
    errorCode: 'FTP_CONNECT',
    error: error.slice(0, 500),
    durationMs: 0,
  };
}
