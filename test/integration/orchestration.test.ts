import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sampleFiles, writeSampleFiles } from '../../demo/sampleFiles.js';
import type { RunSummary } from '../../src/sync/runSummary.js';
import type { SyncStatus } from '../../src/orchestration/syncTypes.js';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';
import { runOrchestration } from '../helpers/durableHarness.js';
import { startInProcessFtp, type InProcessFtpServer } from '../helpers/ftpServers.js';
import { installFunctionsCore, registeredFunction } from '../helpers/functionsHost.js';
import { uploadIncoming } from '../helpers/incomingBlob.js';

// The registered functions end to end: the orchestrator replayed by the harness, its real
// activities against an FTP server and Azurite, and the Event Grid processing handler.

const files = sampleFiles();
const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);

describe('sync orchestration against FTP and Azurite', () => {
  let root: string;
  let ftp: InProcessFtpServer;
  let azurite: RunningAzurite;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-ingest-orch-'));
    await writeSampleFiles(root, files);
    for (const file of files) await utimes(join(root, file.path), hourAgo, hourAgo);
    [ftp, azurite] = await Promise.all([startInProcessFtp(root), startAzurite()]);
    Object.assign(process.env, {
      FTP_HOST: ftp.host,
      FTP_PORT: String(ftp.port),
      FTP_USER: ftp.user,
      FTP_PASSWORD: ftp.password,
      FTP_MAX_CONNECTIONS: '2',
      AzureWebJobsStorage: azurite.connectionString,
      SOURCE_NAME: 'vendor',
      LOG_LEVEL: 'warn',
      SYNC_BATCH_MAX_FILES: '2',
      SYNC_BATCHES_PER_EXECUTION: '2',
    });
    installFunctionsCore();
    await import('../../src/functions/syncWorkflow.js');
    await import('../../src/functions/processIncomingBlob.js');
  });

  after(async () => {
    const { appRuntime } = await import('../../src/orchestration/appRuntime.js');
    await (await appRuntime()).deps.pools.closeAll();
    await Promise.all([ftp?.stop(), azurite?.stop()]);
    await rm(root, { recursive: true, force: true });
  });

  const run = (pickNewest: boolean) =>
    runOrchestration({
      orchestrator: 'syncOrchestrator',
      input: { source: 'vendor' },
      instanceId: 'sync-vendor',
      start: new Date(),
      pick: (pending) => (pickNewest ? pending.length - 1 : 0),
    });

  it('transfers every file in bounded batches across continueAsNew and records the summary', async () => {
    const result = await run(true);
    assert.equal(result.status, 'Completed', result.error);
    const summary = result.output as RunSummary;
    assert.equal(summary.transferred, files.length);
    assert.equal(summary.failed, 0);
    assert.ok(result.executions > 1, 'the batch cap forced continueAsNew');
    assert.ok(result.maxInFlight.syncTransferBatch <= 2);
    assert.ok(
      result.histories.every((h) => JSON.stringify(h).length < 20_000),
      'small history',
    );
    for (const file of files) {
      const stored = await azurite.blobService
        .getContainerClient('incoming')
        .getBlobClient(`vendor/${file.path}`)
        .downloadToBuffer();
      assert.ok(stored.equals(file.bytes), file.path);
    }
    const statuses = result.customStatuses.filter(Boolean) as SyncStatus[];
    assert.equal(statuses.at(-1)?.files.done, files.length);
    const { readLastRunSummary } = await import('../../src/sync/runSummary.js');
    const { appRuntime } = await import('../../src/orchestration/appRuntime.js');
    const last = await readLastRunSummary((await appRuntime()).deps, 'vendor');
    assert.equal(last?.runId, summary.runId);
  });

  it('transfers nothing on a second run over an unchanged tree', async () => {
    const result = await run(false);
    assert.equal(result.status, 'Completed', result.error);
    const summary = result.output as RunSummary;
    assert.equal(summary.transferred, 0);
    assert.equal(summary.unchanged, files.length);
    assert.equal(result.calls.filter((c) => c.name === 'syncTransferBatch').length, 0);
  });

  const event = (blobName: string, container = 'incoming') => ({
    id: `evt-${blobName}`,
    topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z',
    subject: `/blobServices/default/containers/${container}/blobs/${blobName}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: new Date().toISOString(),
    dataVersion: '',
    data: {},
  });
  const deliver = async (evt: ReturnType<typeof event>) => {
    const azureFunctions = (await import('@azure/functions')).default;
    const context = new azureFunctions.InvocationContext({
      functionName: 'processIncomingBlob',
      logHandler: () => {},
    });
    await registeredFunction('processIncomingBlob').handler(evt, context);
  };
  const incoming = () => azurite.blobService.getContainerClient('incoming');

  it('processes a delivered blob once; the same event again changes nothing', async () => {
    const name = 'vendor/events/once.csv';
    await uploadIncoming(incoming(), name, Buffer.from('id,name\n1,a\n2,b\n'));
    await deliver(event(name));
    const first = await incoming().getBlobClient(name).getProperties();
    assert.equal(first.metadata?.status, 'processed');
    assert.equal(first.metadata?.records_total, '2');
    await deliver(event(name));
    const second = await incoming().getBlobClient(name).getProperties();
    assert.equal(second.etag, first.etag, 'no second stamp');
  });

  it('stamps once when the same event is delivered twice at the same time', async () => {
    const name = 'vendor/events/twice.csv';
    await uploadIncoming(incoming(), name, Buffer.from('id,name\n1,a\n'));
    const before = await incoming().getBlobClient(name).getProperties();
    const deliveries = await Promise.allSettled([deliver(event(name)), deliver(event(name))]);
    // The loser may find the claim live: it throws a transient error so Event Grid redelivers.
    const thrown = deliveries.filter((d) => d.status === 'rejected');
    assert.ok(thrown.length <= 1, 'at most one delivery is told to retry');
    for (const d of thrown) assert.equal((d.reason as { transient?: boolean }).transient, true);
    const after = await incoming().getBlobClient(name).getProperties();
    assert.equal(after.metadata?.status, 'processed');
    await deliver(event(name));
    const redelivered = await incoming().getBlobClient(name).getProperties();
    assert.equal(redelivered.etag, after.etag, 'the redelivery stamps nothing');
    const outputs = [];
    for await (const blob of azurite.blobService
      .getContainerClient('processed')
      .listBlobsFlat({ prefix: name }))
      outputs.push(blob.name);
    assert.equal(outputs.filter((o) => o.endsWith('.jsonl') && !/reject/i.test(o)).length, 1);
    assert.notEqual(after.etag, before.etag);
  });

  it('ignores events for other containers', async () => {
    // The same name waits unprocessed in incoming: an event for another container must not
    // be taken for it.
    const name = 'vendor/events/elsewhere.csv';
    await uploadIncoming(incoming(), name, Buffer.from('id\n1\n'));
    const before = await incoming().getBlobClient(name).getProperties();
    await deliver(event(name, 'processed'));
    await deliver(event(name, 'incoming-archive'));
    const after = await incoming().getBlobClient(name).getProperties();
    assert.equal(after.etag, before.etag, 'not claimed, not stamped');
    assert.equal(after.metadata?.status, 'transferred');
  });
});
