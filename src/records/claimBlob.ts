import type { BlobClient } from '@azure/storage-blob';
import { toStorageError } from '../blob/blobService.js';
import { withProcessing, type Metadata, type ProcessingMetadata } from '../blob/metadata.js';

/** The result of trying to claim a blob for processing. */
export type Claim =
  | {
      readonly kind: 'claimed';
      /** ETag after the claim: downloads and the final stamp are conditional on it. */
      readonly etag: string;
      /** Metadata as read before the claim, restored if the attempt gives up. */
      readonly original: Metadata;
    }
  | { readonly kind: 'skipped' | 'busy' | 'superseded' | 'missing' };

/** True when the blob's current content was already processed (or failed) and needs no work. */
export function isDone(metadata: Metadata): boolean {
  const sha = metadata.content_sha256;
  const finished = metadata.status === 'processed' || metadata.status === 'failed';
  return finished && sha !== undefined && metadata.processed_sha256 === sha;
}

/** How many times its size a `.gz` or `.zip` blob is counted for claim liveness. */
const compressionAllowance = 10;

/**
 * A claim is live for `staleClaimMs` or one second per MiB of `bytes`, whichever is longer.
 * Processing runs at about 10 MiB/s, so a large file's claim is never taken over from a
 * processor still at work (the claim has no heartbeat: renewing it would change the ETag that
 * the processor's own conditional reads depend on), and one left by a crash is taken over
 * well within Event Grid's 24 hours of retries.
 */
function isLiveClaim(metadata: Metadata, now: Date, staleClaimMs: number, bytes: number): boolean {
  if (metadata.status !== 'processing') return false;
  const started = Date.parse(metadata.processing_started ?? '');
  const liveMs = Math.max(staleClaimMs, (bytes / (1024 * 1024)) * 1000);
  return Number.isFinite(started) && now.getTime() - started < liveMs;
}

/**
 * Claims a blob by stamping `status=processing` with If-Match on the ETag just read, so of two
 * processors only one wins. A claim no longer live (see `isLiveClaim`: a crashed processor) is
 * taken over.
 */
export async function claimBlob(
  client: BlobClient,
  options: { readonly force: boolean; readonly staleClaimMs: number; readonly now: Date },
): Promise<Claim> {
  const props = await storage('read properties of', client.name, () => client.getProperties());
  if (props === undefined) return { kind: 'missing' };
  const original = props.metadata ?? {};
  if (!options.force && isDone(original)) return { kind: 'skipped' };
  // A compressed file holds several times its size in text, and text is what takes the time.
  const stored = props.contentLength ?? 0;
  const bytes = /\.(gz|zip)$/i.test(client.name) ? stored * compressionAllowance : stored;
  if (isLiveClaim(original, options.now, options.staleClaimMs, bytes)) return { kind: 'busy' };
  const claim = withProcessing(original, {
    status: 'processing',
    processingStarted: options.now.toISOString(),
  });
  const claimed = await setMetadataIfMatch(client, claim, props.etag!);
  if (claimed !== undefined) return { kind: 'claimed', etag: claimed, original };

  // Someone else wrote the metadata or the content between our read and our claim.
  const again = await storage('read properties of', client.name, () => client.getProperties());
  const now = again?.metadata ?? {};
  if (again === undefined) return { kind: 'missing' };
  if (now.content_sha256 !== original.content_sha256) return { kind: 'superseded' };
  if (!options.force && isDone(now)) return { kind: 'skipped' };
  return { kind: 'busy' };
}

/**
 * Writes the final stamp on the claimed version. Returns false when the blob changed since the
 * claim (a newer version arrived): that version is never stamped with this result.
 */
export async function stampBlob(
  client: BlobClient,
  claim: Extract<Claim, { kind: 'claimed' }>,
  stamp: ProcessingMetadata,
): Promise<boolean> {
  return (
    (await setMetadataIfMatch(client, withProcessing(claim.original, stamp), claim.etag)) !==
    undefined
  );
}

/** Gives a claim back after a transient fault, so the host's retry is not told `busy`. */
export async function releaseClaim(
  client: BlobClient,
  claim: Extract<Claim, { kind: 'claimed' }>,
): Promise<void> {
  try {
    await client.setMetadata(claim.original, { conditions: { ifMatch: claim.etag } });
  } catch {
    // Best effort: an unreleased claim goes stale after staleClaimMs and is taken over.
  }
}

/** The new ETag, or undefined on 412 (the blob is no longer the version we read). */
async function setMetadataIfMatch(
  client: BlobClient,
  metadata: Metadata,
  etag: string,
): Promise<string | undefined> {
  try {
    const response = await client.setMetadata(metadata, { conditions: { ifMatch: etag } });
    return response.etag!;
  } catch (error) {
    if (statusOf(error) === 412 || statusOf(error) === 404) return undefined;
    throw toStorageError(error, `Writing metadata of "${client.name}" failed`, {
      blobName: client.name,
    });
  }
}

/**
 * Runs a storage call; a 404 becomes undefined, any other failure an IngestError classified by
 * `toStorageError` (403 is permanent, throttling and 5xx transient).
 */
export async function storage<T>(
  what: string,
  blobName: string,
  call: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw toStorageError(error, `Could not ${what} "${blobName}"`, { blobName });
  }
}

/** The HTTP status of a storage SDK error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
