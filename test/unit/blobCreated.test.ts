import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { IngestError } from '../../src/errors/IngestError.js';
import { handleBlobCreated } from '../../src/orchestration/blobCreated.js';
import type { ProcessStatus } from '../../src/records/processBlob.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import type { Telemetry } from '../../src/telemetry/telemetry.js';

const event = {
  eventType: 'Microsoft.Storage.BlobCreated',
  subject: '/blobServices/default/containers/incoming/blobs/vendor/a.csv',
};

function depsAnswering(status: ProcessStatus) {
  return {
    incoming: { containerName: 'incoming' } as unknown as ContainerClient,
    log: silentLogger,
    telemetry: { enabled: false } as unknown as Telemetry,
    process: async (blobName: string) => ({
      blobName,
      status,
      recordsTotal: 0,
      recordsValid: 0,
      recordsRejected: 0,
    }),
  };
}

describe('handling a BlobCreated event', () => {
  it('throws a transient error when the blob is busy, so Event Grid delivers it again', async () => {
    await assert.rejects(handleBlobCreated(event, depsAnswering('busy')), (error: unknown) => {
      assert.ok(error instanceof IngestError);
      assert.equal(error.transient, true);
      assert.equal(error.context.blobName, 'vendor/a.csv');
      return true;
    });
  });

  it('tries the name as the subject spells it when the decoded name does not exist', async () => {
    // The blob is really named with a literal %20, which a decoded subject would lose.
    const stored = 'vendor/a%20b.csv';
    const asked: string[] = [];
    const deps = {
      ...depsAnswering('processed'),
      process: async (blobName: string) => {
        asked.push(blobName);
        const found = blobName === stored;
        return {
          blobName,
          status: found ? ('processed' as const) : ('skipped' as const),
          errorCode: found ? undefined : 'BLOB_NOT_FOUND',
          recordsTotal: 0,
          recordsValid: 0,
          recordsRejected: 0,
        };
      },
    };
    const subject = `/blobServices/default/containers/incoming/blobs/${stored}`;
    const outcome = await handleBlobCreated({ ...event, subject }, deps);
    assert.deepEqual(asked, ['vendor/a b.csv', stored]);
    assert.equal(outcome.kind === 'handled' && outcome.result.status, 'processed');
  });

  for (const status of ['skipped', 'superseded', 'processed', 'failed'] as const)
    it(`returns normally when the processor answers ${status}`, async () => {
      const outcome = await handleBlobCreated(event, depsAnswering(status));
      assert.equal(outcome.kind === 'handled' && outcome.result.status, status);
    });
});
