import { RestError, type BlobLeaseClient } from '@azure/storage-blob';
import { toStorageError } from '../blob/blobService.js';
import { IngestError } from '../errors/IngestError.js';
import type { SyncDeps } from './SyncDeps.js';

/** The service's longest finite lease; renewed at a third of it while the run lives. */
const leaseSeconds = 60;

/** A held lock on one source; `release` in a `finally`. */
export interface SourceLock {
  release(): Promise<void>;
}

/**
 * Takes the source's lock: a lease on `<source>/sync.lock` in the runs container. Two hosts
 * (two CLIs, or a CLI beside the Functions app) can then never sync one source at once; a
 * holder that dies without releasing frees the lock within a minute, as the lease lapses.
 */
export async function acquireSourceLock(
  deps: SyncDeps,
  source: string,
  owner: string,
): Promise<SourceLock> {
  const container = deps.blobService.getContainerClient(deps.settings.runsContainer);
  const blobName = `${source}/sync.lock`;
  const blob = container.getBlockBlobClient(blobName);
  let lease: BlobLeaseClient;
  try {
    await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((error: unknown) => {
      if (!(error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412)))
        throw error;
    });
    lease = blob.getBlobLeaseClient();
    await lease.acquireLease(leaseSeconds);
    await blob.setMetadata(
      { owner: encodeURIComponent(owner), since: deps.now().toISOString() },
      { conditions: { leaseId: lease.leaseId } },
    );
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 409) {
      const holder = await blob.getProperties().catch(() => undefined);
      const who = holder?.metadata?.owner
        ? decodeURIComponent(holder.metadata.owner)
        : 'another run';
      throw new IngestError(
        'SOURCE_LOCKED',
        `Source "${source}" is already being synced by ${who} (since ${holder?.metadata?.since ?? 'unknown'});` +
          ' this run was not started',
        { source, blobName },
      );
    }
    throw toStorageError(error, `Taking the lock of source "${source}" failed`, {
      source,
      blobName,
    });
  }
  const renewal = setInterval(
    () => {
      lease
        .renewLease()
        .catch((error: unknown) =>
          deps.log.warn({ source, blobName, err: error }, 'renewing the source lock failed'),
        );
    },
    (leaseSeconds * 1000) / 3,
  );
  renewal.unref();
  return {
    async release() {
      clearInterval(renewal);
      await lease
        .releaseLease()
        .catch((error: unknown) =>
          deps.log.warn(
            { source, blobName, err: error },
            'releasing the source lock failed; it lapses within a minute',
          ),
        );
    },
  };
}
