import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Secret } from '../../src/config/Secret.js';
import type { FtpSettings } from '../../src/config/settings.js';
import { IngestError } from '../../src/errors/IngestError.js';
import { FtpPool } from '../../src/ftp/FtpPool.js';
import { listTree, type Listing } from '../../src/ftp/listTree.js';
import { Logger, type LogLevel } from '../../src/telemetry/logger.js';
import {
  startInProcessFtp,
  startVsftpd,
  type RunningFtpServer,
  type SkipReason,
} from '../helpers/ftpServers.js';
import { ScriptedFtpServer } from '../helpers/scriptedFtp.js';

const recent = new Date(Math.floor(Date.now() / 1000 - 2 * 86400) * 1000 + 37_000);
const old = new Date('2020-01-15T22:33:44Z');
const summer = new Date('2025-07-01T10:00:05Z');

/** Relative path, content, mtime: the names that break naive FTP code. */
const tree: ReadonlyArray<[string, string, Date]> = [
  ['daily/2026-12-01/orders.csv', 'id,qty\n1,2\n', recent],
  ['daily/2026-12-01/order lines.csv', 'a,b\n', recent],
  ['ünïcødé/prix €.csv', 'x\n', recent],
  ['hash#and%percent?.csv', 'hash\n', recent],
  ['.hidden/.env.csv', 'dot\n', recent],
  ['a/b/c/d/e/f/g/h/i/deep.txt', 'deep\n', recent],
  ['old.csv', 'old\n', old],
  ['summer.csv', 'summer\n', summer],
  ['archive/2020/x.csv', 'archived\n', old],
];

async function makeTree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'ftp-tree-'));
  // vsftpd serves it as an unprivileged user.
  await chmod(root, 0o755);
  for (const [path, content, mtime] of tree) {
    await mkdir(join(root, dirname(path)), { recursive: true });
    await writeFile(join(root, path), content);
    await utimes(join(root, path), mtime, mtime);
  }
  await mkdir(join(root, 'empty'));
  return root;
}

type Login = Pick<RunningFtpServer, 'host' | 'port' | 'user' | 'password'>;

function settingsFor(server: Login, overrides: Partial<FtpSettings> = {}): FtpSettings {
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    password: new Secret(server.password),
    secure: 'false',
    verifyCertificate: true,
    root: '/',
    include: [],
    exclude: [],
    maxConnections: 2,
    minAgeSeconds: 0,
    timezone: 'UTC',
    timeoutMs: 10_000,
    ...overrides,
  };
}

const logged: Array<{ level: LogLevel; message: string; fields: Record<string, unknown> }> = [];
const log = new Logger(
  [(level, message, fields) => logged.push({ level, message, fields })],
  'debug',
);

async function listWith(
  server: RunningFtpServer,
  overrides: Partial<FtpSettings> = {},
): Promise<Listing> {
  const settings = settingsFor(server, overrides);
  const pool = new FtpPool(settings, log);
  try {
    return await listTree(pool, settings, log);
  } finally {
    await pool.close();
  }
}

const expected = tree
  .map(([path, content, mtime]) => ({
    path,
    size: Buffer.byteLength(content),
    modified: mtime.toISOString(),
  }))
  .sort((a, b) => (a.path < b.path ? -1 : 1));

describe('listTree', () => {
  let root: string;
  let inProcess: RunningFtpServer;
  let vsftpd: RunningFtpServer | SkipReason;
  let vsftpdBerlin: RunningFtpServer | SkipReason;

  before(async () => {
    root = await makeTree();
    inProcess = await startInProcessFtp(root);
    vsftpd = await startVsftpd(root);
    vsftpdBerlin =
      'skip' in vsftpd ? vsftpd : await startVsftpd(root, { timezone: 'Europe/Berlin' });
  });
  after(async () => {
    await inProcess.stop();
    if (!('skip' in vsftpd)) await vsftpd.stop();
    if (!('skip' in vsftpdBerlin)) await vsftpdBerlin.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('lists every file of the tree on ftp-srv with real sizes and mtimes', async () => {
    const listing = await listWith(inProcess);
    assert.deepEqual(listing.files, expected);
    assert.deepEqual(listing.problems, []);
  });

  it('lists the same files on vsftpd (LIST only, times from MDTM)', async (t) => {
    if ('skip' in vsftpd) return t.skip(vsftpd.skip);
    const listing = await listWith(vsftpd);
    assert.deepEqual(listing.files, expected);
    assert.deepEqual(listing.problems, []);
  });

  it('gives the same times from a vsftpd whose clock is in Berlin', async (t) => {
    if ('skip' in vsftpdBerlin) return t.skip(vsftpdBerlin.skip);
    const listing = await listWith(vsftpdBerlin, { timezone: 'Europe/Berlin' });
    assert.deepEqual(listing.files, expected);
    const again = await listWith(vsftpdBerlin, { timezone: 'Europe/Berlin' });
    assert.deepEqual(again.files, listing.files);
  });

  it('applies include globs and prunes folders excluded with /**', async () => {
    const listing = await listWith(inProcess, {
      include: ['**/*.csv'],
      exclude: ['archive/**', 'daily/**/order *'],
    });
    assert.deepEqual(
      listing.files.map((file) => file.path),
      [
        '.hidden/.env.csv',
        'daily/2026-12-01/orders.csv',
        'hash#and%percent?.csv',
        'old.csv',
        'summer.csv',
        'ünïcødé/prix €.csv',
      ],
    );
  });

  it('walks only the requested sub-trees, reporting missing ones', async () => {
    const settings = settingsFor(inProcess);
    const pool = new FtpPool(settings, log);
    try {
      const listing = await listTree(pool, settings, log, {
        paths: ['daily', 'ünïcødé/', 'missing'],
      });
      assert.deepEqual(
        listing.files.map((file) => file.path),
        ['daily/2026-12-01/order lines.csv', 'daily/2026-12-01/orders.csv', 'ünïcødé/prix €.csv'],
      );
      assert.deepEqual(listing.problems, [{ path: 'missing', reason: 'no such folder' }]);
    } finally {
      await pool.close();
    }
  });

  it('reports folders deeper than the cap instead of walking them', async () => {
    const settings = settingsFor(inProcess);
    const pool = new FtpPool(settings, log);
    try {
      const listing = await listTree(pool, settings, log, { maxDepth: 3 });
      assert.ok(!listing.files.some((file) => file.path.endsWith('deep.txt')));
      assert.deepEqual(listing.problems, [
        { path: 'a/b/c/d', reason: 'deeper than 3 levels: not listed' },
      ]);
    } finally {
      await pool.close();
    }
  });

  it('fails with FTP_NOT_FOUND when the root does not exist', async (t) => {
    for (const server of [inProcess, vsftpd]) {
      if ('skip' in server) {
        t.diagnostic(server.skip);
        continue;
      }
      await assert.rejects(listWith(server, { root: '/no/such/root' }), (error: unknown) => {
        assert.ok(error instanceof IngestError);
        assert.equal(error.code, 'FTP_NOT_FOUND');
        return true;
      });
    }
  });
});

describe('listTree on vsftpd with symbolic links', () => {
  let root: string;
  let vsftpd: RunningFtpServer | SkipReason;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-links-'));
    await chmod(root, 0o755);
    await mkdir(join(root, 'in/sub'), { recursive: true });
    await writeFile(join(root, 'in/sub/a.csv'), 'a\n');
    await utimes(join(root, 'in/sub/a.csv'), old, old);
    await symlink('..', join(root, 'in/sub/up'));
    await symlink('sub', join(root, 'in/again'));
    await symlink('sub/a.csv', join(root, 'in/latest.csv'));
    await symlink('nowhere.csv', join(root, 'in/broken.csv'));
    vsftpd = await startVsftpd(root);
  });
  after(async () => {
    if (!('skip' in vsftpd)) await vsftpd.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('stops at loops, lists linked files by their target and reports broken links', async (t) => {
    if ('skip' in vsftpd) return t.skip(vsftpd.skip);
    const listing = await listWith(vsftpd);
    assert.deepEqual(listing.files, [
      { path: 'in/latest.csv', size: 2, modified: old.toISOString() },
      { path: 'in/sub/a.csv', size: 2, modified: old.toISOString() },
    ]);
    const problems = [...listing.problems].sort((a, b) => (a.path < b.path ? -1 : 1));
    assert.deepEqual(
      problems.map((problem) => problem.path),
      ['in/again', 'in/broken.csv', 'in/sub/up'],
    );
    assert.match(problems[0].reason, /already listed/);
    assert.match(problems[1].reason, /broken symbolic link/);
    assert.match(problems[2].reason, /already listed/);
  });
});

describe('listTree on a LIST-only server with one flat folder', () => {
  const count = 1000;
  const stamp = new Date('2024-03-05T06:07:08Z');
  let server: ScriptedFtpServer;
  before(async () => {
    const files = Array.from({ length: count }, (_, i) => ({
      path: `/drop/f${String(i).padStart(4, '0')}.csv`,
      content: Buffer.from(`${i}\n`),
    }));
    server = await new ScriptedFtpServer({ files, mdtm: stamp }).start();
  });
  after(async () => {
    await server?.stop();
  });

  it('asks MDTM once per file, spread over the pool connections', async () => {
    const settings = settingsFor(server, { maxConnections: 4 });
    const pool = new FtpPool(settings, log);
    let listing: Listing;
    try {
      listing = await listTree(pool, settings, log);
    } finally {
      await pool.close();
    }
    assert.equal(listing.files.length, count);
    assert.ok(listing.files.every((file) => file.modified === stamp.toISOString()));
    const asked = server.commands.flatMap((command, i) =>
      command.startsWith('MDTM ')
        ? [{ path: command.slice(5), session: server.commandSessions[i] }]
        : [],
    );
    assert.equal(new Set(asked.map((a) => a.path)).size, count);
    assert.equal(asked.length, count);
    const sessions = new Set(asked.map((a) => a.session));
    assert.ok(sessions.size >= 2, `all MDTM on ${sessions.size} connection(s)`);
  });
});
