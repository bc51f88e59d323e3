import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';
import { cli } from '../helpers/cli.js';
import { startInProcessFtp, type InProcessFtpServer } from '../helpers/ftpServers.js';

/** A format that fails every row of prices.csv: its prices are decimals, not integers. */
const strictFormats = JSON.stringify([
  { match: 'prices.csv', columns: [{ name: 'price', type: 'integer', required: true }] },
]);

describe('ftp-ingest process', () => {
  let root: string;
  let ftp: InProcessFtpServer;
  let azurite: RunningAzurite;
  let env: Record<string, string>;
  const statusOf = async (name: string) =>
    (await azurite.blobService.getContainerClient('incoming').getBlobClient(name).getProperties())
      .metadata ?? {};

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-ingest-process-'));
    await mkdir(join(root, 'in'));
    await writeFile(join(root, 'in/prices.csv'), 'sku,price\nA,1.50\nB,2.25\n');
    await writeFile(join(root, 'in/orders.csv'), 'id\n1\n2\n3\n');
    const old = new Date('2026-01-01T00:00:00Z');
    for (const name of ['in/prices.csv', 'in/orders.csv']) await utimes(join(root, name), old, old);
    [ftp, azurite] = await Promise.all([startInProcessFtp(root), startAzurite()]);
    env = {
      FTP_HOST: ftp.host,
      FTP_PORT: String(ftp.port),
      FTP_USER: ftp.user,
      FTP_PASSWORD: ftp.password,
      FTP_ROOT: '/in',
      SOURCE_NAME: 'shop',
      AzureWebJobsStorage: azurite.connectionString,
      LOG_LEVEL: 'error',
    };
  });

  after(async () => {
    await Promise.all([ftp?.stop(), azurite?.stop()]);
    await rm(root, { recursive: true, force: true });
  });

  it('processes blobs a transfer-only sync left behind with --pending', async () => {
    const synced = await cli(['sync', '--no-process', '--no-progress'], env);
    assert.equal(synced.code, 0, synced.err);
    assert.equal((await statusOf('shop/orders.csv')).status, 'transferred');
    const run = await cli(['process', '--pending', '--json'], env);
    assert.equal(run.code, 0, run.err);
    assert.equal((JSON.parse(run.out) as unknown[]).length, 2);
    const orders = await statusOf('shop/orders.csv');
    assert.deepEqual([orders.status, orders.records_total], ['processed', '3']);
  });

  it('reprocesses everything with --all after a format change, rejecting rows that no longer fit', async () => {
    const run = await cli(['process', '--all', '--json'], {
      ...env,
      SOURCE_FORMATS: strictFormats,
    });
    assert.equal(run.code, 0, run.err);
    const prices = await statusOf('shop/prices.csv');
    assert.deepEqual([prices.status, prices.records_rejected], ['processed', '2']);
    assert.equal((await statusOf('shop/orders.csv')).status, 'processed');
  });

  it('reprocesses only failed blobs with --failed', async () => {
    const failing = await cli(['process', '--all'], {
      ...env,
      SOURCE_FORMATS: strictFormats,
      MAX_REJECT_RATIO: '0.5',
    });
    assert.equal(failing.code, 1);
    assert.equal((await statusOf('shop/prices.csv')).error_code, 'REJECT_RATIO');
    const fixed = await cli(['process', '--failed', '--json'], env);
    assert.equal(fixed.code, 0, fixed.err);
    const results = JSON.parse(fixed.out) as { blobName: string }[];
    assert.deepEqual(
      results.map((r) => r.blobName),
      ['shop/prices.csv'],
    );
    const prices = await statusOf('shop/prices.csv');
    assert.deepEqual(
      [prices.status, prices.records_valid, prices.error_code],
      ['processed', '2', undefined],
    );
  });

  it('reprocesses one blob by name and refuses a name outside the source', async () => {
    const one = await cli(['process', 'shop/orders.csv', '--json'], env);
    assert.equal(one.code, 0, one.err);
    const outside = await cli(['process', 'other/orders.csv'], env);
    assert.equal(outside.code, 2);
    assert.match(outside.err, /Unknown source "other"/);
  });

  it('fails for a blob name that does not exist', async () => {
    const run = await cli(['process', 'shop/nope.csv', '--json'], env);
    assert.equal(run.code, 1);
    assert.equal((JSON.parse(run.out) as { errorCode?: string }[])[0]?.errorCode, 'BLOB_NOT_FOUND');
  });

  it('exits 1 and says why for a blob another processor holds', async () => {
    const blob = azurite.blobService
      .getContainerClient('incoming')
      .getBlobClient('shop/orders.csv');
    const metadata = await statusOf('shop/orders.csv');
    const claim = { status: 'processing', processing_started: new Date().toISOString() };
    await blob.setMetadata({ ...metadata, ...claim });
    try {
      const run = await cli(['process', 'shop/orders.csv'], env);
      assert.equal(run.code, 1, run.out);
      assert.match(run.out, /busy .*another processor holds its claim/);
    } finally {
      await blob.setMetadata(metadata);
    }
  });

  it('reports status on an account nothing was ingested into yet', async () => {
    const run = await cli(['status'], { ...env, INCOMING_CONTAINER: 'never-synced' });
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /Nothing ingested yet: container "never-synced" does not exist/);
  });

  it('runs status and process with storage settings only, no FTP_HOST', async () => {
    const storageOnly: Record<string, string> = { ...env };
    delete storageOnly.FTP_HOST;
    const status = await cli(['status', '--json'], storageOnly);
    assert.equal(status.code, 0, status.err);
    const process = await cli(['process', 'shop/orders.csv'], storageOnly);
    assert.equal(process.code, 0, process.err);
  });

  it('prints a JSON document naming the error when a --json sync fails as a whole', async () => {
    const run = await cli(['sync', '--json', '--no-progress'], {
      ...env,
      FTP_PASSWORD: 'wrong-pw-123',
    });
    assert.equal(run.code, 1);
    const document = JSON.parse(run.out) as { source: string; error: { code: string } };
    assert.deepEqual([document.source, document.error.code], ['shop', 'FTP_LOGIN']);
    assert.doesNotMatch(run.out + run.err, /wrong-pw-123/);
  });

  it('insists on exactly one selection', async () => {
    const run = await cli(['process', '--failed', '--all'], env);
    assert.equal(run.code, 2);
    assert.match(run.err, /exactly one of/);
  });
});
