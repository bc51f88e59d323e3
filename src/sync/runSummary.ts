import { toStorageError } from '../blob/blobService.js';
import type { RunFailure } from './planFailure.js';
import type { Plan } from './planSync.js';
import type { SyncDeps } from './SyncDeps.js';
import type { TransferResult } from './types.js';

/** The record of one run: written to the runs container and returned as the run's output. */
export interface RunSummary {
  readonly runId: string;
  readonly source: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly dryRun: boolean;
  readonly listed: number;
  readonly new: number;
  readonly changed: number;
  readonly unchanged: number;
  readonly unstable: number;
  readonly planned: number;
  readonly transferred: number;
  /** Same bytes under a new server time: only the recorded time was updated. */
  readonly touched: number;
  readonly failed: number;
  readonly bytes: number;
  readonly failures: readonly FileFailure[];
  /** Listed entries that were left out, with the reason (bad names, loops, limits). */
  readonly problems: readonly { readonly path: string; readonly reason: string }[];
  /** The run itself failed (the server could not be listed); `failed` counts files only. */
  readonly error?: RunFailure;
}

export interface FileFailure {
  readonly path: string;
  readonly errorCode: string;
  readonly error: string;
}

/** At most this many failures and problems are kept in a summary, so it stays small. */
const maxListed = 200;

/** Folds a plan and its transfer results into the run summary. */
export function summarize(
  plan: Plan,
  results: readonly TransferResult[],
  startedAt: string,
  finishedAt: string,
  dryRun = false,
): RunSummary {
  const failures = results.filter((r) => r.outcome === 'failed');
  return {
    runId: plan.runId,
    source: plan.source,
    startedAt,
    finishedAt,
    durationMs: Date.parse(finishedAt) - Date.parse(startedAt),
    dryRun,
    listed: plan.listed,
    new: plan.counts.new,
    changed: plan.counts.changed + plan.counts.forced,
    unchanged: plan.counts.unchanged,
    unstable: plan.counts.unstable,
    planned: plan.transfers.length,
    transferred: results.filter((r) => r.outcome === 'transferred').length,
    touched: results.filter((r) => r.outcome === 'touched').length,
    failed: failures.length,
    bytes: results.reduce((sum, r) => sum + (r.outcome === 'transferred' ? r.bytes : 0), 0),
    failures: failures.slice(0, maxListed).map((r) => ({
      path: r.path,
      errorCode: r.errorCode ?? 'INTERNAL',
      error: r.error ?? '',
    })),
    problems: plan.problems.slice(0, maxListed),
    ...(plan.failure === undefined ? {} : { error: plan.failure }),
  };
}

/** `<source>/<yyyy>/<mm>/<dd>/<run id>.json`, dated by the run's start (UTC). */
export function summaryBlobName(summary: Pick<RunSummary, 'source' | 'runId' | 'startedAt'>) {
  const [yyyy, mm, dd] = summary.startedAt.slice(0, 10).split('-');
  return `${summary.source}/${yyyy}/${mm}/${dd}/${encodeURIComponent(summary.runId)}.json`;
}

const latestName = (source: string) => `${source}/latest.json`;

/**
 * Writes the summary into the runs container (never the incoming one, where it would be
 * processed as a vendor file), plus `<source>/latest.json` so the last run is one read away.
 */
export async function writeRunSummary(deps: SyncDeps, summary: RunSummary): Promise<string> {
  const container = deps.blobService.getContainerClient(deps.settings.runsContainer);
  const name = summaryBlobName(summary);
  const body = JSON.stringify(summary, null, 2);
  const headers = { blobHTTPHeaders: { blobContentType: 'application/json' } };
  try {
    await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), headers);
    // A dry run is kept on record but is not the source's last run: nothing moved.
    if (!summary.dryRun)
      await container
        .getBlockBlobClient(latestName(summary.source))
        .upload(body, Buffer.byteLength(body), headers);
  } catch (error) {
    throw toStorageError(error, 'Writing the run summary failed', { blobName: name });
  }
  return name;
}

/** The last recorded run of a source, or undefined before its first run. */
export async function readLastRunSummary(
  deps: SyncDeps,
  source: string,
): Promise<RunSummary | undefined> {
  const blob = deps.blobService
    .getContainerClient(deps.settings.runsContainer)
    .getBlobClient(latestName(source));
  try {
    return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as RunSummary;
  } catch (error) {
    const storageError = toStorageError(error, 'Reading the last run summary failed', {
      blobName: latestName(source),
    });
    if (storageError.code === 'BLOB_NOT_FOUND') return undefined;
    throw storageError;
  }
}
