import { createHash } from 'node:crypto';
import { RestError, type BlockBlobClient } from '@azure/storage-blob';
import { toStorageError } from '../blob/blobService.js';
import { IngestError } from '../errors/IngestError.js';
import { holdUntilReleased } from '../blob/heldLeases.js';
import type { SyncDeps } from './SyncDeps.js';

/** The service's longest finite lease; a CLI run renews it at a third of that while it lives. */
const leaseSeconds = 60;

/** A held lock on one source; `release` in a `finally`. */
export interface SourceLock {
  release(): Promise<void>;
}

/**
 * Takes the source's lock for a run in this process: a 60-second lease on `<source>/sync.lock`
 * in the runs container, renewed while the run lives. Two hosts (two CLIs, or a CLI beside the
 * Functions app) can then never sync one source at once; a holder that dies without releasing
 * frees the lock within a minute, as the lease lapses.
 */
export async function acquireSourceLock(
  deps: SyncDeps,
  source: string,
  owner: string,
): Promise<SourceLock> {
  const blob = await lockBlob(deps, source);
  const lease = blob.getBlobLeaseClient();
  await takeLease(
    deps,
    blob,
    source,
    owner,
    'cli',
    () => lease.acquireLease(leaseSeconds),
    lease.leaseId,
  );
  const renewal = setInterval(
    () => {
      lease
        .renewLease()
        .catch((error: unknown) =>
          deps.log.warn(
            { source, blobName: blob.name, err: error },
            'renewing the source lock failed',
          ),
        );
    },
    (leaseSeconds * 1000) / 3,
  );
  renewal.unref();
  const forget = holdUntilReleased(async () => {
    clearInterval(renewal);
    await lease.releaseLease();
  });
  return {
    async release() {
      clearInterval(renewal);
      if (!forget()) return;
      await lease
        .releaseLease()
        .catch((error: unknown) =>
          deps.log.warn(
            { source, blobName: blob.name, err: error },
            'releasing the source lock failed; it lapses within a minute',
          ),
        );
    },
  };
}

/**
 * Takes the source's lock for an orchestrated run, which outlives any one process: an infinite
 * lease whose id is derived from the run id, so every activity of that run (and every retry of
 * one) holds the same lock without passing a lease id through the history. Taking it again for
 * the same run succeeds; the record-summary step releases it.
 */
export async function acquireRunLock(deps: SyncDeps, source: string, runId: string): Promise<void> {
  const blob = await lockBlob(deps, source);
  const leaseId = leaseIdFor(runId);
  const lease = blob.getBlobLeaseClient(leaseId);
  await takeLease(deps, blob, source, runId, 'run', () => lease.acquireLease(-1), leaseId);
}

/**
 * Marks an orchestrated run's lock as alive: each transfer batch calls it, so a run that keeps
 * moving is never judged stale however long it lasts. A run whose lock was broken (it was idle
 * past the stale limit) learns it here and stops instead of syncing beside another run.
 */
export async function refreshRunLock(deps: SyncDeps, source: string, runId: string): Promise<void> {
  const blob = await lockBlob(deps, source);
  try {
    await blob.setMetadata(lockMetadata(runId, 'run', deps.now()), {
      conditions: { leaseId: leaseIdFor(runId) },
    });
  } catch (error) {
    if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412))
      throw lockedError(
        source,
        blob,
        (await blob.getProperties().catch(() => undefined))?.metadata,
      );
    throw toStorageError(error, `Refreshing the lock of source "${source}" failed`, { source });
  }
}

/** Releases an orchestrated run's lock; a lock already gone is fine. */
export async function releaseRunLock(deps: SyncDeps, source: string, runId: string): Promise<void> {
  const blob = await lockBlob(deps, source);
  await blob
    .getBlobLeaseClient(leaseIdFor(runId))
    .releaseLease()
    .catch((error: unknown) => {
      if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412))
        return; // not ours any more: broken as stale, or never taken (a dry run)
      throw toStorageError(error, `Releasing the lock of source "${source}" failed`, { source });
    });
}

async function lockBlob(deps: SyncDeps, source: string): Promise<BlockBlobClient> {
  const container = deps.blobService.getContainerClient(deps.settings.runsContainer);
  const blob = container.getBlockBlobClient(`${source}/sync.lock`);
  try {
    await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
  } catch (error) {
    if (!(error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412)))
      throw toStorageError(error, `Creating the lock of source "${source}" failed`, { source });
  }
  return blob;
}

/** Who holds the lock: a CLI run (a lapsing lease) or an orchestrated run (an infinite one). */
type LockKind = 'cli' | 'run';

function lockMetadata(owner: string, kind: LockKind, now: Date): Record<string, string> {
  return { owner: encodeURIComponent(owner), kind, since: now.toISOString() };
}

/**
 * Acquires and records who holds the lock and when it last showed life. Only an orchestrated
 * run's infinite lease is ever broken, and only when it has shown no life (no transfer batch)
 * for SYNC_STALE_AFTER_MINUTES: an orchestration terminated as stale never releases. A CLI's
 * lease lapses by itself within a minute of its process dying, so it is never broken.
 */
async function takeLease(
  deps: SyncDeps,
  blob: BlockBlobClient,
  source: string,
  owner: string,
  kind: LockKind,
  acquire: () => Promise<unknown>,
  leaseId: string,
): Promise<void> {
  const staleAfterMs = (deps.settings.functions?.staleAfterMinutes ?? 120) * 60_000;
  try {
    try {
      await acquire();
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
      const holder = await blob.getProperties();
      const since = Date.parse(holder.metadata?.since ?? '');
      const isStale =
        holder.metadata?.kind === 'run' && deps.now().getTime() - since > staleAfterMs;
      if (!isStale) throw lockedError(source, blob, holder.metadata);
      deps.log.warn({ source, holder: holder.metadata?.owner }, 'breaking a stale source lock');
      // Only if nothing changed since we judged it: a holder that just showed life keeps it.
      await blob.getBlobLeaseClient().breakLease(0, { conditions: { ifMatch: holder.etag } });
      await acquire();
    }
    await blob.setMetadata(lockMetadata(owner, kind, deps.now()), { conditions: { leaseId } });
  } catch (error) {
    if (error instanceof IngestError) throw error;
    // 409: leased by another; 412: our fresh lease was broken before we wrote who holds it.
    if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412))
      throw lockedError(
        source,
        blob,
        (await blob.getProperties().catch(() => undefined))?.metadata,
      );
    throw toStorageError(error, `Taking the lock of source "${source}" failed`, { source });
  }
}

function lockedError(source: string, blob: BlockBlobClient, metadata?: Record<string, string>) {
  const who = metadata?.owner ? decodeURIComponent(metadata.owner) : 'another run';
  return new IngestError(
    'SOURCE_LOCKED',
    `Source "${source}" is already being synced by ${who} (since ${metadata?.since ?? 'unknown'});` +
      ' this run was not started',
    { source, blobName: blob.name },
  );
}

/** A lease id (a GUID) that every activity of one run derives alike. */
function leaseIdFor(runId: string): string {
  const hex = createHash('sha256').update(runId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
