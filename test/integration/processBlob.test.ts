import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import iconv from 'iconv-lite';
import { parseFormatCatalog } from '../../src/records/formats.js';
import { processBlob, type ProcessorDeps } from '../../src/records/processBlob.js';
import { blobSinkFactory, type SinkFactory } from '../../src/records/RecordSink.js';
import { reprocess } from '../../src/records/reprocess.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { startAzurite } from '../helpers/azurite.js';
import { blobText, uploadIncoming } from '../helpers/incomingBlob.js';
import { zipBytes } from '../helpers/zipBytes.js';

const formats = parseFormatCatalog(
  JSON.stringify([
    {
      match: 'legacy/*.txt',
      delimiter: '|',
      encoding: 'windows-1252',
      columns: [{ name: 'amount', type: 'decimal', decimalSeparator: ',' }],
    },
  ]),
  {},
);

describe('processBlob against Azurite', () => {
  let azurite: Awaited<ReturnType<typeof startAzurite>>;
  let incoming: ContainerClient;
  let processed: ContainerClient;
  let deps: ProcessorDeps;

  before(async () => {
    azurite = await startAzurite();
    incoming = azurite.blobService.getContainerClient('incoming');
    processed = azurite.blobService.getContainerClient('processed');
    await Promise.all([incoming.create(), processed.create()]);
    deps = {
      incoming,
      processed,
      log: silentLogger,
      options: { formats, maxRecordBytes: 1 << 20 },
    };
  });
  after(() => azurite?.stop());

  const metadataOf = async (name: string) =>
    (await incoming.getBlobClient(name).getProperties()).metadata ?? {};
  const outputs = async (prefix: string) => {
    const names: string[] = [];
    for await (const blob of processed.listBlobsFlat({ prefix })) names.push(blob.name);
    return names;
  };

  it('takes over an abandoned claim, but not one a large file may still be working under', async () => {
    const claimed = async (name: string, bytes: Buffer) => {
      await uploadIncoming(incoming, name, bytes);
      const client = incoming.getBlobClient(name);
      const metadata = (await client.getProperties()).metadata ?? {};
      const started = new Date(Date.now() - 3000).toISOString();
      await client.setMetadata({ ...metadata, status: 'processing', processing_started: started });
    };
    const stale = { ...deps, options: { ...deps.options, staleClaimMs: 1000 } };
    await claimed('vendor/abandoned.csv', Buffer.from('id\n1\n'));
    assert.equal((await processBlob(stale, 'vendor/abandoned.csv')).status, 'processed');
    // 8 MiB: live for 8 s at one second per MiB, although 3 s is past staleClaimMs.
    await claimed('vendor/large.csv', Buffer.from('id\n' + '1\n'.repeat(4 * 1024 * 1024)));
    assert.equal((await processBlob(stale, 'vendor/large.csv')).status, 'busy');
  });

  it('processes a blob once and skips it the second time, with one output', async () => {
    const sha = await uploadIncoming(incoming, 'vendor/a.csv', Buffer.from('id,name\n1,x\n2,y\n'));
    const first = await processBlob(deps, 'vendor/a.csv');
    const second = await processBlob(deps, 'vendor/a.csv');
    assert.equal(first.status, 'processed');
    assert.equal(second.status, 'skipped');
    assert.deepEqual(await outputs('vendor/a.csv'), ['vendor/a.csv.jsonl']);
    const meta = await metadataOf('vendor/a.csv');
    assert.equal(meta.status, 'processed');
    assert.equal(meta.processed_sha256, sha);
    assert.deepEqual(
      [meta.records_total, meta.records_valid, meta.records_rejected],
      ['2', '2', '0'],
    );
    assert.equal(meta.processing_started, undefined);
    const out = processed.getBlobClient('vendor/a.csv.jsonl');
    assert.equal((await out.getProperties()).metadata?.source_sha256, sha);
    assert.equal(
      await blobText(processed, 'vendor/a.csv.jsonl'),
      '{"id":"1","name":"x"}\n{"id":"2","name":"y"}\n',
    );
  });

  it('lets only one of two concurrent calls process a blob', async () => {
    await uploadIncoming(incoming, 'vendor/race.csv', Buffer.from('a;b\n1;2\n3;4\n'));
    const results = await Promise.all([
      processBlob(deps, 'vendor/race.csv'),
      processBlob(deps, 'vendor/race.csv'),
    ]);
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 'processed').length, 1, statuses.join());
    assert.ok(['busy', 'skipped'].includes(statuses.find((s) => s !== 'processed')!));
    assert.deepEqual(await outputs('vendor/race.csv'), ['vendor/race.csv.jsonl']);
    assert.equal((await metadataOf('vendor/race.csv')).records_valid, '2');
  });

  it('does not stamp a blob replaced by a new version while it was processed', async () => {
    await uploadIncoming(incoming, 'vendor/moving.csv', Buffer.from('a\n1\n2\n'));
    const inner = blobSinkFactory(processed);
    let replaced = false;
    const sinks: SinkFactory = {
      remove: (target) => inner.remove(target),
      create: (target) => {
        const sink = inner.create(target);
        return {
          open: () => sink.open(),
          close: () => sink.close(),
          abort: (reason) => sink.abort(reason),
          write: async (record) => {
            if (!replaced) {
              replaced = true;
              await uploadIncoming(incoming, 'vendor/moving.csv', Buffer.from('a\n3\n'));
            }
            await sink.write(record);
          },
        };
      },
    };
    const result = await processBlob(
      { ...deps, options: { ...deps.options, sinks } },
      'vendor/moving.csv',
    );
    assert.equal(result.status, 'superseded');
    const meta = await metadataOf('vendor/moving.csv');
    assert.equal(meta.status, 'transferred');
    assert.equal(meta.processed_sha256, undefined);
    assert.equal((await processBlob(deps, 'vendor/moving.csv')).recordsTotal, 1);
  });

  it('decompresses a .gz blob while streaming', async () => {
    await uploadIncoming(incoming, 'vendor/b.csv.gz', gzipSync('k,v\n1,a\n2,b\n3,c\n'));
    const result = await processBlob(deps, 'vendor/b.csv.gz');
    assert.deepEqual([result.status, result.recordsValid], ['processed', 3]);
    assert.match((await blobText(processed, 'vendor/b.csv.gz.jsonl'))!, /"v":"c"/);
  });

  it('processes each member of a zip and sums their counts', async () => {
    const zip = zipBytes({ 'one.csv': 'x\n1\n2\n', 'dir/two.csv': 'y,z\n1,2\n3\n' });
    await uploadIncoming(incoming, 'vendor/c.zip', zip);
    const result = await processBlob(deps, 'vendor/c.zip');
    assert.equal(result.status, 'processed');
    assert.deepEqual(
      result.members?.map((m) => [m.member, m.recordsValid, m.recordsRejected]),
      [
        ['one.csv', 2, 0],
        ['dir/two.csv', 1, 1],
      ],
    );
    assert.deepEqual([result.recordsTotal, result.recordsValid, result.recordsRejected], [4, 3, 1]);
    assert.deepEqual((await outputs('vendor/c.zip/')).sort(), [
      'vendor/c.zip/dir/two.csv.jsonl',
      'vendor/c.zip/dir/two.csv.rejected.jsonl',
      'vendor/c.zip/one.csv.jsonl',
    ]);
  });

  it('reads a windows-1252 pipe file with decimal commas', async () => {
    const text = 'name|amount\r\nMüller|1,50\r\nCafé|€\r\n';
    await uploadIncoming(incoming, 'vendor/legacy/d.txt', iconv.encode(text, 'windows-1252'));
    const result = await processBlob(deps, 'vendor/legacy/d.txt');
    assert.deepEqual(
      [result.status, result.recordsValid, result.recordsRejected],
      ['processed', 1, 1],
    );
    assert.equal(
      await blobText(processed, 'vendor/legacy/d.txt.jsonl'),
      '{"name":"Müller","amount":1.5}\n',
    );
    const reject = JSON.parse((await blobText(processed, 'vendor/legacy/d.txt.rejected.jsonl'))!);
    assert.deepEqual([reject.line, reject.raw], [3, 'Café|€']);
  });

  it('stamps bad data failed with a code and reprocesses failed blobs on request', async () => {
    await uploadIncoming(incoming, 'vendor/bad.csv', Buffer.from('a,b\n1,"open\n'));
    const result = await processBlob(deps, 'vendor/bad.csv');
    assert.deepEqual([result.status, result.errorCode], ['failed', 'CSV_QUOTE']);
    const meta = await metadataOf('vendor/bad.csv');
    assert.equal(meta.error_code, 'CSV_QUOTE');
    assert.match(meta.error, /line 2/);
    assert.deepEqual(await outputs('vendor/bad.csv'), []);
    const again = await reprocess(deps, { failed: true }, 'vendor/');
    assert.deepEqual(
      again.map((r) => [r.blobName, r.status]),
      [['vendor/bad.csv', 'failed']],
    );
  });
});
