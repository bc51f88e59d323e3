import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Secret } from '../../src/config/Secret.js';
import type { FtpSecureMode, FtpSettings } from '../../src/config/settings.js';
import { FtpPool } from '../../src/ftp/FtpPool.js';
import { listTree } from '../../src/ftp/listTree.js';
import { blobNameFor } from '../../src/naming/blobName.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';
import { cli } from '../helpers/cli.js';
import {
  startProftpd,
  startPureFtpd,
  startVsftpd,
  type RunningFtpServer,
  type ServerTls,
  type SkipReason,
} from '../helpers/ftpServers.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/tlsCerts.js';

const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
const lastYear = new Date('2025-03-09T23:15:07Z');
const deepPath = Array.from({ length: 40 }, (_, i) => `level-${i}`).join('/') + '/deep.csv';

/** The names that break naive FTP code, with times both recent (no year in LIST) and old. */
const tree: ReadonlyArray<readonly [string, string, Date]> = [
  ['orders/2026-12-01/orders.csv', 'order_id,qty\n1,2\n2,5\n', hourAgo],
  ['orders/2026-12-01/order lines.csv', 'a,b\n1,2\n', hourAgo],
  ['ünïcødé/prix €.csv', 'prix\n3\n', hourAgo],
  ['hash#and%percent?.csv', 'hash\n1\n', hourAgo],
  ['.hidden/.leading-dot.csv', 'dot\n1\n', hourAgo],
  ['  two leading spaces.csv', 'spaces\n1\n', hourAgo],
  ['old/2025.csv', 'old\n1\n', lastYear],
  [deepPath, 'deep\n1\n', hourAgo],
  ['bin/payload.bin', 'x'.repeat(300_000), hourAgo],
];

const expectedListing = tree
  .map(([path, content, mtime]) => ({
    path,
    size: Buffer.byteLength(content),
    modified: mtime.toISOString(),
  }))
  .sort((a, b) => (a.path < b.path ? -1 : 1));

async function makeTree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'ftp-matrix-'));
  // The servers serve it as an unprivileged user.
  await chmod(root, 0o755);
  for (const [path, content, mtime] of tree) {
    await mkdir(join(root, dirname(path)), { recursive: true });
    await writeFile(join(root, path), content);
    await utimes(join(root, path), mtime, mtime);
  }
  return root;
}

interface Variant {
  readonly name: string;
  readonly secure: FtpSecureMode;
  readonly timezone?: string;
  readonly start: (root: string, tls?: ServerTls) => Promise<RunningFtpServer | SkipReason>;
}

const variants: readonly Variant[] = [
  { name: 'vsftpd', secure: 'false', start: (root) => startVsftpd(root) },
  {
    name: 'vsftpd-explicit',
    secure: 'explicit',
    start: (root, tls) => startVsftpd(root, { tls }),
  },
  {
    name: 'vsftpd-implicit',
    secure: 'implicit',
    start: (root, tls) => startVsftpd(root, { tls }),
  },
  { name: 'pure-ftpd', secure: 'false', start: (root) => startPureFtpd(root) },
  {
    name: 'pure-ftpd-explicit',
    secure: 'explicit',
    start: (root, tls) => startPureFtpd(root, { tls }),
  },
  { name: 'proftpd', secure: 'false', start: (root) => startProftpd(root) },
  {
    name: 'proftpd-explicit',
    secure: 'explicit',
    start: (root, tls) => startProftpd(root, { tls }),
  },
  {
    name: 'proftpd-implicit',
    secure: 'implicit',
    start: (root, tls) => startProftpd(root, { tls }),
  },
];

/** Servers whose clock is in Berlin: LIST (and vsftpd's MDTM) speak Berlin time. */
const berlinVariants: readonly Variant[] = [
  {
    name: 'vsftpd-berlin',
    secure: 'false',
    timezone: 'Europe/Berlin',
    start: (root) => startVsftpd(root, { timezone: 'Europe/Berlin' }),
  },
  {
    name: 'pure-ftpd-berlin',
    secure: 'false',
    timezone: 'Europe/Berlin',
    start: (root) => startPureFtpd(root, { timezone: 'Europe/Berlin' }),
  },
  {
    name: 'proftpd-berlin',
    secure: 'false',
    timezone: 'Europe/Berlin',
    start: (root) => startProftpd(root, { timezone: 'Europe/Berlin' }),
  },
];

let certificates: TestCertificates;
let azurite: RunningAzurite;

before(async () => {
  [certificates, azurite] = await Promise.all([makeTestCertificates(), startAzurite()]);
});
after(async () => {
  await azurite?.stop();
  if (certificates !== undefined) await rm(certificates.dir, { recursive: true, force: true });
});

function tlsFor(variant: Variant): ServerTls | undefined {
  return variant.secure === 'false' ? undefined : { certificates, mode: variant.secure };
}

function envFor(variant: Variant, server: RunningFtpServer): Record<string, string> {
  return {
    FTP_HOST: server.host,
    FTP_PORT: String(server.port),
    FTP_USER: server.user,
    FTP_PASSWORD: server.password,
    FTP_SECURE: variant.secure,
    ...(variant.secure === 'false' ? {} : { FTP_CA_FILE: certificates.caFile }),
    ...(variant.timezone === undefined ? {} : { FTP_TIMEZONE: variant.timezone }),
    FTP_MAX_CONNECTIONS: '2',
    FTP_TIMEOUT_SECONDS: '20',
    AzureWebJobsStorage: azurite.connectionString,
    SOURCE_NAME: variant.name,
    LOG_LEVEL: 'warn',
  };
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

async function syncJson(env: Record<string, string>) {
  const run = await cli(['sync', '--json', '--no-progress', '--no-process'], env);
  assert.equal(run.code, 0, run.err + run.out);
  return JSON.parse(run.out) as Record<string, number>;
}

for (const variant of variants) {
  describe(`sync against ${variant.name}`, () => {
    let root: string;
    let server: RunningFtpServer | SkipReason;

    before(async () => {
      root = await makeTree();
      server = await variant.start(root, tlsFor(variant));
    });
    after(async () => {
      if (server !== undefined && !('skip' in server)) await server.stop();
      await rm(root, { recursive: true, force: true });
    });

    it('commits every file byte for byte, then nothing, then only the changed one', async (t) => {
      if ('skip' in server) return t.skip(server.skip);
      const env = envFor(variant, server);
      const incoming = azurite.blobService.getContainerClient('incoming');

      const first = await syncJson(env);
      assert.equal(first.listed, tree.length);
      assert.equal(first.transferred, tree.length);
      assert.equal(first.failed, 0);
      for (const [path, content, mtime] of tree) {
        const blob = incoming.getBlobClient(blobNameFor(variant.name, path));
        const stored = await blob.downloadToBuffer();
        assert.ok(stored.equals(Buffer.from(content)), `${path} differs`);
        const { metadata = {} } = await blob.getProperties();
        assert.equal(metadata.content_sha256, sha256(content), path);
        assert.equal(metadata.source_modified, mtime.toISOString(), path);
        assert.equal(metadata.source_size, String(Buffer.byteLength(content)), path);
      }

      const second = await syncJson(env);
      assert.equal(second.unchanged, tree.length);
      assert.equal(second.transferred, 0);

      const changed = join(root, 'orders/2026-12-01/orders.csv');
      await writeFile(changed, 'order_id,qty\n1,2\n2,5\n3,9\n');
      const later = new Date(hourAgo.getTime() + 120_000);
      await utimes(changed, later, later);
      const third = await syncJson(env);
      assert.equal(third.changed, 1);
      assert.equal(third.transferred, 1);
      const blob = incoming.getBlobClient(`${variant.name}/orders/2026-12-01/orders.csv`);
      assert.equal((await blob.downloadToBuffer()).toString(), 'order_id,qty\n1,2\n2,5\n3,9\n');
      assert.equal((await blob.getProperties()).metadata?.source_modified, later.toISOString());
    });
  });
}

describe('listings agree across servers', () => {
  let root: string;
  before(async () => {
    root = await makeTree();
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  for (const variant of [...variants, ...berlinVariants]) {
    it(`lists the same paths, sizes and UTC times on ${variant.name}`, async (t) => {
      const server = await variant.start(root, tlsFor(variant));
      if ('skip' in server) return t.skip(server.skip);
      const settings: FtpSettings = {
        host: server.host,
        port: server.port,
        user: server.user,
        password: new Secret(server.password),
        secure: variant.secure,
        caFile: variant.secure === 'false' ? undefined : certificates.caFile,
        verifyCertificate: true,
        root: '/',
        include: [],
        exclude: [],
        maxConnections: 2,
        minAgeSeconds: 0,
        timezone: variant.timezone ?? 'UTC',
        timeoutMs: 20_000,
      };
      const pool = new FtpPool(settings, silentLogger);
      try {
        const listing = await listTree(pool, settings, silentLogger);
        assert.deepEqual(listing.files, expectedListing);
        assert.deepEqual(listing.problems, []);
      } finally {
        await pool.close();
        await server.stop();
      }
    });
  }
});

describe('FTPS certificate validation', () => {
  let root: string;
  let server: RunningFtpServer | SkipReason;
  before(async () => {
    root = await makeTree();
    server = await startProftpd(root, { tls: { certificates, mode: 'explicit' } });
  });
  after(async () => {
    if (server !== undefined && !('skip' in server)) await server.stop();
    await rm(root, { recursive: true, force: true });
  });

  const baseEnv = (running: RunningFtpServer, source: string) => ({
    FTP_HOST: running.host,
    FTP_PORT: String(running.port),
    FTP_USER: running.user,
    FTP_PASSWORD: running.password,
    FTP_SECURE: 'explicit',
    AzureWebJobsStorage: azurite.connectionString,
    SOURCE_NAME: source,
    LOG_LEVEL: 'warn',
  });

  it('refuses a certificate from a CA it was not told to trust', async (t) => {
    if ('skip' in server) return t.skip(server.skip);
    const run = await cli(['sync', '--no-progress', '--no-process'], baseEnv(server, 'untrusted'));
    assert.equal(run.code, 1);
    assert.match(run.err, /FTPS/);
    assert.match(run.err, /certificate/i);
    const names = [];
    for await (const blob of azurite.blobService
      .getContainerClient('incoming')
      .listBlobsFlat({ prefix: 'untrusted/' }))
      names.push(blob.name);
    assert.deepEqual(names, []);
  });

  it('syncs with FTP_TLS_INSECURE=true and logs a warning that says so', async (t) => {
    if ('skip' in server) return t.skip(server.skip);
    const run = await cli(['sync', '--json', '--no-progress', '--no-process'], {
      ...baseEnv(server, 'insecure'),
      FTP_TLS_INSECURE: 'true',
    });
    assert.equal(run.code, 0, run.err);
    assert.equal((JSON.parse(run.out) as { transferred: number }).transferred, tree.length);
    const warnings = run.logs
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { level: string; message: string; setting?: string });
    assert.ok(
      warnings.some(
        (entry) =>
          entry.level === 'warn' &&
          entry.setting === 'FTP_TLS_INSECURE' &&
          /certificate verification is OFF/.test(entry.message),
      ),
      run.logs,
    );
  });
});
