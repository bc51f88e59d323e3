import { toStorageError } from '../blob/blobService.js';
import type { Plan } from '../sync/planSync.js';
import type { SyncDeps } from '../sync/SyncDeps.js';
import type { PlannedFile, TransferResult } from '../sync/types.js';

/** The full plan of a run as stored beside its summaries, cut into the batches it runs as. */
export interface StoredPlan {
  readonly plan: Plan;
  readonly batches: readonly (readonly PlannedFile[])[];
}

/** `<source>/plans/<run id>.json` in the runs container. */
export function planBlobName(source: string, runId: string): string {
  return `${source}/plans/${encodeURIComponent(runId)}.json`;
}

/** `<source>/plans/<run id>/batch-<n>.json`: the results of one batch, written by its activity. */
export function batchResultBlobName(planBlob: string, batchIndex: number): string {
  return `${planBlob.replace(/\.json$/, '')}/batch-${batchIndex}.json`;
}

/** Writes JSON into the runs container, replacing what was there (retries write the same). */
export async function writeRunsJson(deps: SyncDeps, name: string, value: unknown): Promise<void> {
  const body = JSON.stringify(value);
  const blob = deps.blobService.getContainerClient(deps.settings.runsContainer);
  try {
    await blob.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  } catch (error) {
    throw toStorageError(error, 'Writing run state failed', { blobName: name });
  }
}

/** Reads JSON from the runs container; undefined when the blob does not exist. */
export async function readRunsJson<T>(deps: SyncDeps, name: string): Promise<T | undefined> {
  const blob = deps.blobService.getContainerClient(deps.settings.runsContainer).getBlobClient(name);
  try {
    return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as T;
  } catch (error) {
    const storageError = toStorageError(error, 'Reading run state failed', { blobName: name });
    if (storageError.code === 'BLOB_NOT_FOUND') return undefined;
    throw storageError;
  }
}

/** Results of a finished batch, as its activity stored them. */
export type StoredBatchResults = readonly TransferResult[];
