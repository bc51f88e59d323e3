import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Secret } from '../../src/config/Secret.js';
import type { FtpSettings } from '../../src/config/settings.js';
import { IngestError } from '../../src/errors/IngestError.js';
import { FtpPool } from '../../src/ftp/FtpPool.js';
import { Logger } from '../../src/telemetry/logger.js';
import { startInProcessFtp, startVsftpd, type RunningFtpServer } from '../helpers/ftpServers.js';

const entries: string[] = [];
const log = new Logger(
  [(level, message, fields) => entries.push(`${level} ${message} ${JSON.stringify(fields)}`)],
  'debug',
);

function settingsFor(server: RunningFtpServer, overrides: Partial<FtpSettings> = {}): FtpSettings {
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

/** Runs `count` tasks at once, each holding its client a moment; returns the most held at once. */
async function runConcurrently(pool: FtpPool, count: number): Promise<number> {
  let active = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: count }, () =>
      pool.use(async (client) => {
        active += 1;
        most = Math.max(most, active);
        await client.pwd();
        await sleep(20);
        active -= 1;
      }),
    ),
  );
  return most;
}

describe('FtpPool', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-pool-'));
    await chmod(root, 0o755);
    await writeFile(join(root, 'a.csv'), 'a\n');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('logs in once for many tasks in a row', async () => {
    const server = await startInProcessFtp(root);
    const pool = new FtpPool(settingsFor(server), log);
    try {
      for (let i = 0; i < 20; i++)
        assert.equal(await pool.use((client) => client.size('/a.csv')), 2);
      assert.equal(server.stats.logins, 1);
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  it('never opens more clients than its limit', async () => {
    const server = await startInProcessFtp(root);
    const pool = new FtpPool(settingsFor(server, { maxConnections: 2 }), log);
    try {
      assert.equal(await runConcurrently(pool, 10), 2);
      assert.equal(server.stats.logins, 2);
      assert.ok(server.stats.maxOpen <= 2, `server saw ${server.stats.maxOpen} connections`);
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  it('keeps a client after a 550 reply and replaces one whose connection broke', async () => {
    const server = await startInProcessFtp(root);
    const pool = new FtpPool(settingsFor(server), log);
    try {
      await assert.rejects(
        pool.use((client) => client.size('/missing.csv')),
        (error: unknown) => {
          assert.ok(error instanceof IngestError);
          assert.equal(error.code, 'FTP_NOT_FOUND');
          return true;
        },
      );
      await pool.use((client) => client.pwd());
      assert.equal(server.stats.logins, 1);
      await assert.rejects(
        pool.use(async (client) => {
          client.close();
          return client.pwd();
        }),
      );
      await pool.use((client) => client.pwd());
      assert.equal(server.stats.logins, 2);
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  it('backs off to fewer connections on "530 Too many users" instead of failing', async () => {
    const server = await startInProcessFtp(root, { maxLogins: 2 });
    const pool = new FtpPool(settingsFor(server, { maxConnections: 5 }), log);
    try {
      assert.ok((await runConcurrently(pool, 12)) <= 2);
      assert.equal(pool.limit, 2);
      assert.ok(entries.some((entry) => entry.includes('too many connections: using fewer')));
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  it('backs off on vsftpd\'s "421 There are too many connections" greeting', async (t) => {
    const server = await startVsftpd(root, { maxPerIp: 2 });
    if ('skip' in server) return t.skip(server.skip);
    const pool = new FtpPool(settingsFor(server, { maxConnections: 4 }), log);
    try {
      // The start-up probe's session may still count against max_per_ip for a moment.
      await sleep(200);
      assert.ok((await runConcurrently(pool, 8)) <= 2);
      assert.ok(pool.limit >= 1 && pool.limit <= 2, `limit ${pool.limit}`);
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  it('reports a wrong password as FTP_LOGIN and never logs the password', async () => {
    const server = await startInProcessFtp(root, { password: 'correct-horse-battery' });
    const settings = { ...settingsFor(server), password: new Secret('wrong-password-value') };
    const pool = new FtpPool(settings, log);
    try {
      await assert.rejects(
        pool.use((client) => client.pwd()),
        (error: unknown) => {
          assert.ok(error instanceof IngestError);
          assert.equal(error.code, 'FTP_LOGIN');
          assert.equal(error.transient, false);
          return true;
        },
      );
      assert.ok(!entries.some((entry) => entry.includes('wrong-password-value')));
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  it('reports explicit FTPS against a server without TLS as FTP_TLS, not FTP_LOGIN', async (t) => {
    const server = await startVsftpd(root);
    if ('skip' in server) return t.skip(server.skip);
    const pool = new FtpPool(settingsFor(server, { secure: 'explicit' }), log);
    try {
      await assert.rejects(
        pool.use((client) => client.pwd()),
        {
          code: 'FTP_TLS',
          message: /refused AUTH TLS/,
        },
      );
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  it('closes clients left idle', async () => {
    const server = await startInProcessFtp(root);
    const pool = new FtpPool(settingsFor(server), log, { idleMs: 50 });
    try {
      await pool.use((client) => client.pwd());
      assert.equal(server.stats.open, 1);
      await sleep(400);
      assert.equal(server.stats.open, 0);
    } finally {
      await pool.close();
      await server.stop();
    }
  });
});
