import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestError, type BlobClient, type ContainerClient } from '@azure/storage-blob';
import { parseFormatCatalog } from '../../src/records/formats.js';
import { processBlob, type ProcessorDeps } from '../../src/records/processBlob.js';
import { reprocess } from '../../src/records/reprocess.js';
import type { SinkFactory } from '../../src/records/RecordSink.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { startAzurite } from '../helpers/azurite.js';
import { uploadIncoming } from '../helpers/incomingBlob.js';
import { zipBytes } from '../helpers/zipBytes.js';

const formats = parseFormatCatalog('[]', {});
const csv = Buffer.from('id,name\n1,x\n2,y\n');

/** The incoming container, whose blobs fail their first final stamp with `status`. */
function failingFirstStamp(incoming: ContainerClient, status: number): ContainerClient {
  let failed = false;
  const wrap = (client: BlobClient) =>
    new Proxy(client, {
      get(target, prop) {
        if (prop !== 'setMetadata') return Reflect.get(target, prop, target);
        return (metadata: Record<string, string>, options: object) => {
          const isStamp = metadata.status === 'processed' || metadata.status === 'failed';
          if (isStamp && !failed) {
            failed = true;
            return Promise.reject(new RestError('injected', { statusCode: status }));
          }
          return target.setMetadata(metadata, options);
        };
      },
    });
  return new Proxy(incoming, {
    get(target, prop) {
      if (prop === 'getBlobClient') return (name: string) => wrap(target.getBlobClient(name));
      return Reflect.get(target, prop, target);
    },
  });
}

/** Sinks whose every commit fails with an HTTP status, as the processed container would. */
function sinksFailingWith(status: number): SinkFactory {
  return {
    remove: async () => undefined,
    create: () => ({
      open: async () => undefined,
      write: () => undefined,
      abort: async () => undefined,
      close: () => Promise.reject(new RestError('injected', { statusCode: status })),
    }),
  };
}

/** A zip whose first member's recorded CRC-32 (local header and directory) is off by one bit. */
function wrongCrcZip(): Buffer {
  const zip = zipBytes({ 'a.csv': 'x\n1\n', 'b.csv': 'y\n2\n' });
  zip[14] ^= 1;
  zip[zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 16] ^= 1;
  return zip;
}

/** A zip whose first central directory entry has a broken signature. */
function corruptDirectoryZip(): Buffer {
  const zip = zipBytes({ 'a.csv': 'x\n1\n', 'b.csv': 'y\n2\n' });
  const at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip[at + 2] = 0x09;
  return zip;
}

describe('processBlob faults against Azurite', () => {
  let azurite: Awaited<ReturnType<typeof startAzurite>>;
  let incoming: ContainerClient;
  let deps: ProcessorDeps;

  before(async () => {
    azurite = await startAzurite();
    incoming = azurite.blobService.getContainerClient('incoming');
    const processed = azurite.blobService.getContainerClient('processed');
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

  it('gives the claim back when the final stamp fails transiently, so a retry processes it', async () => {
    await uploadIncoming(incoming, 'vendor/stamp.csv', csv);
    const flaky = { ...deps, incoming: failingFirstStamp(incoming, 503) };
    await assert.rejects(processBlob(flaky, 'vendor/stamp.csv'), {
      code: 'BLOB_UNAVAILABLE',
    });
    assert.equal((await metadataOf('vendor/stamp.csv')).status, 'transferred');
    const retry = await processBlob(deps, 'vendor/stamp.csv');
    assert.equal(retry.status, 'processed');
  });

  it('reprocessing goes on past a transient fault, and stops after three in a row', async () => {
    for (const name of ['again/a.csv', 'again/b.csv', 'again/c.csv'])
      await uploadIncoming(incoming, name, csv);
    const flaky = { ...deps, incoming: failingFirstStamp(incoming, 503) };
    const results = await reprocess(flaky, { all: true }, 'again/');
    assert.deepEqual(
      results.map((r) => [r.blobName, r.status, r.errorCode]),
      [
        ['again/a.csv', 'failed', 'BLOB_UNAVAILABLE'],
        ['again/b.csv', 'processed', undefined],
        ['again/c.csv', 'processed', undefined],
      ],
    );
    assert.equal((await metadataOf('again/a.csv')).status, 'transferred', 'left as it was');
    const down = { ...deps, options: { ...deps.options, sinks: sinksFailingWith(503) } };
    await assert.rejects(reprocess(down, { all: true }, 'again/'), { code: 'BLOB_UNAVAILABLE' });
  });

  it('stamps a zip with a corrupt central directory failed ARCHIVE without throwing', async () => {
    await uploadIncoming(incoming, 'vendor/corrupt.zip', corruptDirectoryZip());
    const result = await processBlob(deps, 'vendor/corrupt.zip');
    assert.deepEqual([result.status, result.errorCode], ['failed', 'ARCHIVE']);
    assert.equal((await metadataOf('vendor/corrupt.zip')).error_code, 'ARCHIVE');
  });

  it('fails a zip member whose bytes do not match its CRC-32, and reads the others', async () => {
    await uploadIncoming(incoming, 'vendor/crc.zip', wrongCrcZip());
    const result = await processBlob(deps, 'vendor/crc.zip');
    assert.deepEqual([result.status, result.errorCode], ['failed', 'ARCHIVE']);
    assert.deepEqual(
      result.members?.map((m) => [m.member, m.status, m.errorCode]),
      [
        ['a.csv', 'failed', 'ARCHIVE'],
        ['b.csv', 'processed', undefined],
      ],
    );
    assert.match(result.members?.[0]?.error ?? '', /CRC-32/);
  });

  it('keeps the own code of a zip member that fails before its end, not a CRC error', async () => {
    const zip = zipBytes({ 'bad.csv': Buffer.from('a\n1\u00002\n' + 'x\n'.repeat(50_000)) });
    await uploadIncoming(incoming, 'vendor/early.zip', zip);
    const result = await processBlob(deps, 'vendor/early.zip');
    assert.deepEqual(
      result.members?.map((m) => [m.member, m.status, m.errorCode]),
      [['bad.csv', 'failed', 'NUL_BYTE']],
    );
  });

  it('stamps a zip with a member name too long for a blob failed FILE_NAME', async () => {
    const long = 'n'.repeat(1100) + '.csv';
    await uploadIncoming(
      incoming,
      'vendor/long.zip',
      zipBytes({ 'ok.csv': 'a\n1\n', [long]: 'b\n2\n' }),
    );
    const result = await processBlob(deps, 'vendor/long.zip');
    assert.deepEqual([result.status, result.errorCode], ['failed', 'FILE_NAME']);
    assert.deepEqual(
      result.members?.map((m) => [m.member.slice(0, 6), m.status]),
      [
        ['ok.csv', 'processed'],
        ['nnnnnn', 'failed'],
      ],
    );
    const meta = await metadataOf('vendor/long.zip');
    assert.deepEqual([meta.status, meta.error_code], ['failed', 'FILE_NAME']);
  });

  const outputFaults = [
    { status: 404, code: 'BLOB_NOT_FOUND' },
    { status: 412, code: 'BLOB_CONFLICT' },
    { status: 403, code: 'BLOB_REJECTED' },
  ];
  for (const fault of outputFaults)
    it(`stamps an output write refused with ${fault.status} failed ${fault.code}, not superseded`, async () => {
      const name = `vendor/out-${fault.status}.csv`;
      await uploadIncoming(incoming, name, csv);
      const options = { ...deps.options, sinks: sinksFailingWith(fault.status) };
      const result = await processBlob({ ...deps, options }, name);
      assert.deepEqual([result.status, result.errorCode], ['failed', fault.code]);
      assert.equal((await metadataOf(name)).error_code, fault.code);
    });

  it('throws a transient error on a 503 from an output write and gives the claim back', async () => {
    await uploadIncoming(incoming, 'vendor/out-503.csv', csv);
    const options = { ...deps.options, sinks: sinksFailingWith(503) };
    await assert.rejects(processBlob({ ...deps, options }, 'vendor/out-503.csv'), {
      code: 'BLOB_UNAVAILABLE',
    });
    assert.equal((await metadataOf('vendor/out-503.csv')).status, 'transferred');
  });

  it('creates a missing processed container instead of answering superseded', async () => {
    await uploadIncoming(incoming, 'vendor/fresh.csv', csv);
    const processed = azurite.blobService.getContainerClient('fresh-processed');
    const result = await processBlob({ ...deps, processed }, 'vendor/fresh.csv');
    assert.equal(result.status, 'processed');
    assert.equal(await processed.getBlobClient('vendor/fresh.csv.jsonl').exists(), true);
  });
});
