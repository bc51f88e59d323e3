import { toStorageError } from '../blob/blobService.js';
import type { RemoteFile } from './types.js';
import type { SyncDeps } from './SyncDeps.js';

/** When a file without a server time was first seen at its current size. */
export interface Sighting {
  readonly size: number;
  /** ISO 8601 UTC. */
  readonly since: string;
}

/** What the last plan saw of files that carry no usable time, by path relative to the root. */
export type ListingState = ReadonlyMap<string, Sighting>;

const stateName = (source: string) => `${source}/listing-state.json`;

/**
 * Reads the source's listing state from the runs container; empty before the first plan.
 * A server that gives no time (LIST in an unknown format, no MDTM) cannot say how old a file
 * is, so stability is judged the way NiFi and Camel's `readLock=changed` do: the same size
 * across listings for at least the minimum age.
 */
export async function readListingState(deps: SyncDeps, source: string): Promise<ListingState> {
  const blob = deps.blobService
    .getContainerClient(deps.settings.runsContainer)
    .getBlobClient(stateName(source));
  try {
    const parsed = JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as {
      files?: Record<string, Sighting>;
    };
    return new Map(Object.entries(parsed.files ?? {}));
  } catch (error) {
    if (error instanceof SyntaxError) return new Map();
    const storageError = toStorageError(error, 'Reading the listing state failed', {
      source,
      blobName: stateName(source),
    });
    if (storageError.code === 'BLOB_NOT_FOUND') return new Map();
    throw storageError;
  }
}

/** Keeps only what the next plan needs: files still waiting to be judged stable. */
export async function writeListingState(
  deps: SyncDeps,
  source: string,
  state: ListingState,
): Promise<void> {
  const body = JSON.stringify({ files: Object.fromEntries(state) });
  const blob = deps.blobService
    .getContainerClient(deps.settings.runsContainer)
    .getBlockBlobClient(stateName(source));
  try {
    await blob.upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  } catch (error) {
    throw toStorageError(error, 'Writing the listing state failed', {
      source,
      blobName: stateName(source),
    });
  }
}

/**
 * The sighting to record for an undated file: the previous one while the size holds, a new
 * one from `now` when the size differs or the file is new to the state.
 */
export function sightingOf(file: RemoteFile, previous: Sighting | undefined, now: Date): Sighting {
  return previous !== undefined && previous.size === file.size
    ? previous
    : { size: file.size, since: now.toISOString() };
}

/** An undated file is settled once its size has held for the minimum age (at least one run). */
export function isSettled(
  sighting: Sighting,
  previous: Sighting | undefined,
  nowMs: number,
  minAgeSeconds: number,
): boolean {
  if (previous === undefined || previous.size !== sighting.size) return false;
  return nowMs - Date.parse(sighting.since) >= minAgeSeconds * 1000;
}
