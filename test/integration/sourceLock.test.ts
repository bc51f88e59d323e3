import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadSettings } from '../../src/config/settings.js';
import { IngestError } from '../../src/errors/IngestError.js';
import {
  acquireRunLock,
  acquireSourceLock,
  refreshRunLock,
  releaseRunLock,
} from '../../src/sync/sourceLock.js';
import { createSyncDeps, type SyncDeps } from '../../src/sync/SyncDeps.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';

const isLocked = (error: unknown) => error instanceof IngestError && error.code === 'SOURCE_LOCKED';

describe('the source lock', () => {
  let azurite: RunningAzurite;
  let deps: SyncDeps;
  let clock = Date.parse('2026-12-03T10:00:00Z');

  before(async () => {
    azurite = await startAzurite();
    const settings = loadSettings({
      FTP_HOST: 'unused',
      AzureWebJobsStorage: azurite.connectionString,
    });
    deps = { ...createSyncDeps(settings, silentLogger), now: () => new Date(clock) };
    await azurite.blobService.getContainerClient('ingest-runs').createIfNotExists();
  });

  after(() => azurite?.stop());

  it('refuses a second run of the same source while the first holds it, naming the holder', async () => {
    const first = await acquireSourceLock(deps, 'acme', 'cli-first');
    await assert.rejects(acquireSourceLock(deps, 'acme', 'cli-second'), (error: unknown) => {
      assert.ok(isLocked(error));
      assert.match((error as Error).message, /already being synced by cli-first/);
      return true;
    });
    await first.release();
    const third = await acquireSourceLock(deps, 'acme', 'cli-third');
    await third.release();
  });

  it('lets another source run at the same time', async () => {
    const acme = await acquireSourceLock(deps, 'acme', 'cli-a');
    const globex = await acquireSourceLock(deps, 'globex', 'cli-g');
    await Promise.all([acme.release(), globex.release()]);
  });

  it('refuses a CLI run while an orchestrated run holds the lock, and frees it on release', async () => {
    await acquireRunLock(deps, 'acme', 'sync-acme-20261203T100000Z');
    await assert.rejects(acquireSourceLock(deps, 'acme', 'cli-x'), isLocked);
    await releaseRunLock(deps, 'acme', 'sync-acme-20261203T100000Z');
    const cli = await acquireSourceLock(deps, 'acme', 'cli-x');
    await cli.release();
  });

  it('is taken again by a retry of the same orchestrated run but not by another run', async () => {
    await acquireRunLock(deps, 'acme', 'run-1');
    await acquireRunLock(deps, 'acme', 'run-1');
    await assert.rejects(acquireRunLock(deps, 'acme', 'run-2'), isLocked);
    await releaseRunLock(deps, 'acme', 'run-1');
  });

  it('breaks a lock held longer than the stale limit, as a terminated run leaves it', async () => {
    await acquireRunLock(deps, 'acme', 'run-terminated');
    clock += 121 * 60_000;
    await acquireRunLock(deps, 'acme', 'run-next');
    await assert.rejects(acquireSourceLock(deps, 'acme', 'cli-late'), isLocked);
    await releaseRunLock(deps, 'acme', 'run-terminated'); // too late: no longer its lock
    await assert.rejects(acquireSourceLock(deps, 'acme', 'cli-late'), isLocked);
    await releaseRunLock(deps, 'acme', 'run-next');
  });

  it('never breaks a live CLI lease, however long the CLI has run', async () => {
    const cli = await acquireSourceLock(deps, 'long', 'cli-long');
    clock += 500 * 60_000;
    await assert.rejects(acquireRunLock(deps, 'long', 'run-eager'), isLocked);
    await cli.release();
  });

  it('keeps a long run that shows life, and stops a run whose lock was taken over', async () => {
    await acquireRunLock(deps, 'busy', 'run-long');
    for (let batch = 0; batch < 4; batch += 1) {
      clock += 60 * 60_000;
      await refreshRunLock(deps, 'busy', 'run-long');
    }
    await assert.rejects(acquireRunLock(deps, 'busy', 'run-other'), isLocked);
    clock += 121 * 60_000;
    await acquireRunLock(deps, 'busy', 'run-other');
    await assert.rejects(refreshRunLock(deps, 'busy', 'run-long'), isLocked);
    await releaseRunLock(deps, 'busy', 'run-other');
  });
});
