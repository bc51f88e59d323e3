import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sampleFiles, writeSampleFiles } from '../../demo/sampleFiles.js';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';
import { cli } from '../helpers/cli.js';
import { startInProcessFtp, type InProcessFtpServer } from '../helpers/ftpServers.js';

const files = sampleFiles();
const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);

describe('sync from an FTP server into Blob Storage', () => {
  let root: string;
  let ftp: InProcessFtpServer;
  let azurite: RunningAzurite;
  let env: Record<string, string>;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-ingest-sync-'));
    await writeSampleFiles(root, files);
    for (const file of files) await utimes(join(root, file.path), hourAgo, hourAgo);
    [ftp, azurite] = await Promise.all([startInProcessFtp(root), startAzurite()]);
    env = {
      FTP_HOST: ftp.host,
      FTP_PORT: String(ftp.port),
      FTP_USER: ftp.user,
      FTP_PASSWORD: ftp.password,
      AzureWebJobsStorage: azurite.connectionString,
      SOURCE_NAME: 'vendor',
      LOG_LEVEL: 'warn',
    };
  });

  after(async () => {
    await Promise.all([ftp?.stop(), azurite?.stop()]);
    await rm(root, { recursive: true, force: true });
  });

  const incoming = () => azurite.blobService.getContainerClient('incoming');
  const sync = async (...args: string[]) => {
    const run = await cli(['sync', '--json', '--no-progress', '--no-process', ...args], env);
    assert.equal(run.code, 0, run.err);
    return JSON.parse(run.out) as Record<string, number>;
  };

  it('commits every file byte for byte with the transfer metadata of the contract', async () => {
    const summary = await sync();
    assert.equal(summary.listed, files.length);
    assert.equal(summary.transferred, files.length);
    assert.equal(summary.failed, 0);
    for (const file of files) {
      const blob = incoming().getBlobClient(`vendor/${file.path}`);
      const stored = await blob.downloadToBuffer();
      assert.ok(stored.equals(file.bytes), `${file.path} differs`);
      const { metadata = {} } = await blob.getProperties();
      assert.equal(metadata.content_sha256, createHash('sha256').update(file.bytes).digest('hex'));
      assert.equal(metadata.source, 'vendor');
      assert.equal(metadata.source_path, file.path);
      assert.equal(metadata.source_size, String(file.bytes.length));
      assert.equal(metadata.source_modified, hourAgo.toISOString());
      assert.equal(metadata.status, 'transferred');
      assert.match(metadata.run_id ?? '', /^cli-/);
      assert.ok(Date.parse(metadata.ingested_at ?? '') > hourAgo.getTime());
    }
  });

  it('transfers nothing on a second run against the same server', async () => {
    const summary = await sync();
    assert.equal(summary.unchanged, files.length);
    assert.equal(summary.transferred, 0);
  });

  it('transfers only the file whose bytes changed', async () => {
    const path = join(root, 'inventory/stock.psv');
    await writeFile(path, 'sku|warehouse|quantity\nA-1|north|13\n');
    const later = new Date(hourAgo.getTime() + 60_000);
    await utimes(path, later, later);
    const summary = await sync();
    assert.equal(summary.changed, 1);
    assert.equal(summary.transferred, 1);
    const stored = await incoming().getBlobClient('vendor/inventory/stock.psv').downloadToBuffer();
    assert.equal(stored.toString(), 'sku|warehouse|quantity\nA-1|north|13\n');
  });

  it('records a new server time without committing again when the bytes are the same', async () => {
    const blob = incoming().getBlobClient('vendor/orders/2026-12-02/orders.csv');
    const before = await blob.getProperties();
    const later = new Date(hourAgo.getTime() + 120_000);
    await utimes(join(root, 'orders/2026-12-02/orders.csv'), later, later);
    const summary = await sync();
    assert.equal(summary.touched, 1);
    assert.equal(summary.transferred, 0);
    const after = await blob.getProperties();
    assert.equal(after.metadata?.source_modified, later.toISOString());
    assert.equal(after.metadata?.ingested_at, before.metadata?.ingested_at);
    assert.equal(after.metadata?.content_sha256, before.metadata?.content_sha256);
    // Put Blob or Put Block List would have replaced the content and its creation time.
    assert.equal(after.createdOn?.getTime(), before.createdOn?.getTime());
    assert.equal(
      (await stat(join(root, 'orders/2026-12-02/orders.csv'))).size,
      Number(after.contentLength),
    );
  });

  it('plans without moving anything on a dry run', async () => {
    const path = join(root, 'orders/2026-12-03.csv');
    await writeFile(path, 'order_id\n1\n');
    await utimes(path, hourAgo, hourAgo);
    const run = await cli(['plan', '--no-progress'], env);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /orders\/2026-12-03\.csv\s+new/);
    assert.equal(await incoming().getBlobClient('vendor/orders/2026-12-03.csv').exists(), false);
  });

  it('exits 1 naming a requested sub-tree the server does not have', async () => {
    const run = await cli(['sync', '--no-progress', '--no-process', '--path', 'ordres'], env);
    assert.equal(run.code, 1, run.out);
    assert.match(run.out, /ordres: no such folder/);
  });

  it('leaves a file younger than the minimum age for a later run', async () => {
    const path = join(root, 'orders/fresh.csv');
    await writeFile(path, 'order_id\n9\n');
    const summary = await sync();
    assert.equal(summary.unstable, 1);
    assert.equal(await incoming().getBlobClient('vendor/orders/fresh.csv').exists(), false);
    await rm(path);
  });

  it('keeps the raw bytes of a Windows-1252 file exactly', async () => {
    const stored = await incoming().getBlobClient('vendor/legacy/kunden.txt').downloadToBuffer();
    assert.ok(stored.equals(await readFile(join(root, 'legacy/kunden.txt'))));
  });
});

describe('configuration errors', () => {
  it('lists every bad setting by name and exits with 2', async () => {
    const run = await cli(['sync'], {
      FTP_PORT: 'ninety',
      FTP_SECURE: 'yes',
      FTP_PASSWORD: 'hunter2-secret',
      FTP_MAX_CONNECTIONS: '0',
      AzureWebJobsStorage: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/x)',
    });
    assert.equal(run.code, 2);
    for (const name of ['FTP_HOST', 'FTP_PORT', 'FTP_SECURE', 'FTP_MAX_CONNECTIONS'])
      assert.match(run.err, new RegExp(`${name} `));
    assert.match(run.err, /AzureWebJobsStorage is still a Key Vault reference/);
    assert.doesNotMatch(run.err + run.out, /hunter2-secret/);
  });
});
