import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { utimesSync, writeFileSync } from 'node:fs';
import { chmod, link, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerClient } from '@azure/storage-blob';
import { loadSettings } from '../../src/config/settings.js';
import { runSync, type RunReport, type RunOptions } from '../../src/sync/runSync.js';
import { createSyncDeps, type SyncDeps } from '../../src/sync/SyncDeps.js';
import { Logger } from '../../src/telemetry/logger.js';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';
import { cli } from '../helpers/cli.js';
import { startVsftpd, type RunningFtpServer, type SkipReason } from '../helpers/ftpServers.js';
import { ScriptedFtpServer } from '../helpers/scriptedFtp.js';
import { FtpProxy, seededRandom, type Cut } from '../helpers/tcpProxy.js';

const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The settings every test here starts from; each overrides what it is about. */
function baseEnv(port: number, azurite: RunningAzurite, server: RunningFtpServer) {
  return {
    FTP_HOST: '127.0.0.1',
    FTP_PORT: String(port),
    FTP_USER: server.user,
    FTP_PASSWORD: server.password,
    FTP_TIMEOUT_SECONDS: '10',
    FTP_MAX_CONNECTIONS: '2',
    AzureWebJobsStorage: azurite.connectionString,
    SOURCE_NAME: 'faults',
    LOG_LEVEL: 'warn',
  };
}

/** A sync run in this process with its log entries kept, so a test can read them. */
async function syncWith(
  env: Record<string, string>,
  options: RunOptions = {},
): Promise<{ report: RunReport; logs: string[] }> {
  const logs: string[] = [];
  const settings = loadSettings(env);
  const log = new Logger(
    [(level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`)],
    'debug',
  );
  const deps: SyncDeps = createSyncDeps(settings, log);
  try {
    const report = await runSync(deps, settings.sources[0], options);
    return { report, logs };
  } finally {
    await deps.pools.closeAll();
  }
}

/**
 * Watches a container while a test runs: every blob ever listed must carry its transfer
 * metadata and exactly the bytes it claims, i.e. no reader ever sees a half-written file.
 */
function watchForPartialBlobs(container: ContainerClient) {
  const violations: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
          const meta = blob.metadata ?? {};
          if (meta.content_sha256 === undefined || meta.source_size === undefined)
            violations.push(`${blob.name}: visible without transfer metadata`);
          else if (String(blob.properties.contentLength) !== meta.source_size)
            violations.push(
              `${blob.name}: ${blob.properties.contentLength} bytes, listed ${meta.source_size}`,
            );
        }
      } catch {
        // The container may not exist yet, or storage may be down on purpose.
      }
      await sleep(50);
    }
  })();
  return {
    violations,
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe('connections cut at random points of a transfer', () => {
  const trials = Number(process.env.FTP_INGEST_CUT_TRIALS ?? 20);
  const seed = 20261203;
  const size = 9 * 1024 * 1024 + 12_345;
  const content = randomBytes(size);
  let root: string;
  let server: RunningFtpServer | SkipReason;
  let azurite: RunningAzurite;
  let proxy: FtpProxy;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-cuts-'));
    await chmod(root, 0o755);
    await writeFile(join(root, 'source.bin'), content);
    for (let trial = 0; trial < trials; trial++) {
      await mkdir(join(root, `trial-${trial}`));
      // Hard links: one copy of the bytes on disk, a file of its own per trial on the server.
      await link(join(root, 'source.bin'), join(root, `trial-${trial}`, 'data.bin'));
    }
    await utimes(join(root, 'source.bin'), hourAgo, hourAgo);
    [server, azurite] = await Promise.all([startVsftpd(root), startAzurite()]);
    if (!('skip' in server)) proxy = await new FtpProxy({ targetPort: server.port }).start();
  });
  after(async () => {
    await proxy?.stop();
    if (server !== undefined && !('skip' in server)) await server.stop();
    await azurite?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it(`completes byte for byte after every cut, resuming with REST (${trials} seeded trials)`, async (t) => {
    if ('skip' in server) return t.skip(server.skip);
    const random = seededRandom(seed);
    const env = { ...baseEnv(proxy.port, azurite, server), FTP_MAX_CONNECTIONS: '1' };
    const incoming = azurite.blobService.getContainerClient('incoming');
    await incoming.createIfNotExists();
    const watcher = watchForPartialBlobs(incoming);
    const outcomes: string[] = [];
    let resumedTrials = 0;
    try {
      for (let trial = 0; trial < trials; trial++) {
        const cuts: Cut[] = Array.from({ length: 1 + Math.floor(random() * 2) }, () => ({
          afterBytes: 1 + Math.floor(random() * (size - 2)),
          connection: random() < 0.3 ? 'control' : 'data',
          style: random() < 0.5 ? 'reset' : 'fin',
        }));
        // Each cut applies to the next download that gets that far; later cuts come later.
        cuts.sort((a, b) => a.afterBytes - b.afterBytes);
        const described = cuts.map((c) => `${c.connection}/${c.style}@${c.afterBytes}`).join(' ');
        proxy.cuts.splice(0, proxy.cuts.length, ...cuts);
        proxy.commands.length = 0;
        proxy.retrievedBytes = 0;

        const { report, logs } = await syncWith(env, { paths: [`trial-${trial}`] });
        const context = `trial ${trial} (seed ${seed}, cuts ${described}):\n${logs.join('\n')}`;
        assert.equal(report.summary.failed, 0, context);
        assert.equal(report.summary.transferred, 1, context);
        assert.equal(proxy.cuts.length, 0, `not every cut was reached; ${context}`);
        const blob = incoming.getBlobClient(`faults/trial-${trial}/data.bin`);
        const stored = await blob.downloadToBuffer();
        assert.ok(stored.equals(content), `stored bytes differ; ${context}`);
        assert.equal((await blob.getProperties()).metadata?.content_sha256, sha256(content));
        const resumedAt = proxy.commands
          .filter((command) => /^REST [1-9]/.test(command))
          .map((command) => Number(command.slice(5)));
        if (resumedAt.length > 0) resumedTrials += 1;
        const resent = proxy.retrievedBytes - size;
        assert.ok(resent < size, `re-sent ${resent} bytes of ${size}; ${context}`);
        const short = logs.filter((line) => /without an error: resuming/.test(line)).length;
        outcomes.push(
          `${described} → REST ${resumedAt.join(',')}; re-sent ${resent}; short ends ${short}`,
        );
      }
    } finally {
      await watcher.stop();
    }
    assert.deepEqual(watcher.violations, []);
    // A cut before any byte reached the upload rightly restarts from 0; the rest must resume.
    assert.ok(resumedTrials >= trials * 0.75, `only ${resumedTrials} of ${trials} resumed`);
    t.diagnostic(
      `${trials} trials (${resumedTrials} resumed with REST), seed ${seed}, all byte-identical:\n${outcomes.join('\n')}`,
    );
  });
});

describe('a server with fewer connections than configured', () => {
  let root: string;
  let server: RunningFtpServer | SkipReason;
  let azurite: RunningAzurite;
  const files = Array.from({ length: 12 }, (_, i) => [`f${i}.csv`, `id\n${i}\n`.repeat(2000)]);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-busy-'));
    await chmod(root, 0o755);
    for (const [name, content] of files) {
      await writeFile(join(root, name), content);
      await utimes(join(root, name), hourAgo, hourAgo);
    }
    [server, azurite] = await Promise.all([startVsftpd(root, { maxPerIp: 2 }), startAzurite()]);
  });
  after(async () => {
    if (server !== undefined && !('skip' in server)) await server.stop();
    await azurite?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('adapts to 421 "too many connections" and moves every file (2 allowed, 8 configured)', async (t) => {
    if ('skip' in server) return t.skip(server.skip);
    const env = { ...baseEnv(server.port, azurite, server), FTP_MAX_CONNECTIONS: '8' };
    const { report, logs } = await syncWith(env);
    assert.equal(report.summary.failed, 0, logs.join('\n'));
    assert.equal(report.summary.transferred, files.length);
    assert.ok(
      logs.some((line) => /too many connections: using fewer/.test(line)),
      logs.join('\n'),
    );
  });
});

describe('files still being written', () => {
  let azurite: RunningAzurite;
  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => {
    await azurite?.stop();
  });

  it('waits until an undated file keeps its size for the minimum age', async () => {
    const growing = { path: '/in/growing.csv', content: Buffer.from('id\n1\n') };
    // `2026-12-03 10:00` parses as a listing but says nothing usable; MDTM is refused.
    const server = await new ScriptedFtpServer({
      files: [growing],
      listTime: '2026-12-03 10:00',
    }).start();
    try {
      const env = {
        FTP_HOST: server.host,
        FTP_PORT: String(server.port),
        FTP_USER: server.user,
        FTP_PASSWORD: server.password,
        FTP_MIN_AGE_SECONDS: '1',
        AzureWebJobsStorage: azurite.connectionString,
        SOURCE_NAME: 'growing',
        LOG_LEVEL: 'warn',
      };
      const blob = azurite.blobService
        .getContainerClient('incoming')
        .getBlobClient('growing/in/growing.csv');

      const first = await syncWith(env);
      assert.equal(first.report.summary.unstable, 1, 'first sighting: no time, no history');
      growing.content = Buffer.concat([growing.content, Buffer.from('2\n')]);
      const second = await syncWith(env);
      assert.equal(second.report.summary.unstable, 1, 'the size changed since the last listing');
      assert.equal(await blob.exists(), false);
      await sleep(1100);
      const third = await syncWith(env);
      assert.equal(third.report.summary.transferred, 1, third.logs.join('\n'));
      assert.equal((await blob.downloadToBuffer()).toString(), 'id\n1\n2\n');
      const fourth = await syncWith(env);
      assert.equal(fourth.report.summary.unchanged, 1, 'committed, so no longer waiting');
      const state = await azurite.blobService
        .getContainerClient('ingest-runs')
        .getBlobClient('growing/listing-state.json')
        .downloadToBuffer();
      assert.deepEqual(JSON.parse(state.toString()), { files: {} }, 'nothing left waiting');
    } finally {
      await server.stop();
    }
  });

  it('moves a file only once its done marker exists, even with an include glob', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'ftp-done-'));
    await chmod(root, 0o755);
    const server = await startVsftpd(root);
    if ('skip' in server) return t.skip(server.skip);
    try {
      await writeFile(join(root, 'orders.csv'), 'id\n1\n');
      await utimes(join(root, 'orders.csv'), hourAgo, hourAgo);
      const env = {
        ...baseEnv(server.port, azurite, server),
        SOURCE_NAME: 'marked',
        FTP_DONE_SUFFIX: '.done',
        FTP_INCLUDE: '*.csv',
      };
      const waiting = await syncWith(env);
      assert.equal(waiting.report.summary.unstable, 1);
      assert.equal(waiting.report.summary.transferred, 0);

      await writeFile(join(root, 'orders.csv.done'), '');
      await utimes(join(root, 'orders.csv.done'), hourAgo, hourAgo);
      const done = await syncWith(env);
      assert.equal(done.report.summary.transferred, 1, done.logs.join('\n'));
      const names: string[] = [];
      for await (const blob of azurite.blobService
        .getContainerClient('incoming')
        .listBlobsFlat({ prefix: 'marked/' }))
        names.push(blob.name);
      assert.deepEqual(names, ['marked/orders.csv'], 'the marker itself is never transferred');
    } finally {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('storage restarting during uploads', () => {
  let root: string;
  let server: RunningFtpServer | SkipReason;
  let azurite: RunningAzurite;
  const contents = Array.from({ length: 4 }, () => randomBytes(12 * 1024 * 1024));

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-azurite-'));
    await chmod(root, 0o755);
    for (const [i, content] of contents.entries()) {
      await writeFile(join(root, `big-${i}.bin`), content);
      await utimes(join(root, `big-${i}.bin`), hourAgo, hourAgo);
    }
    [server, azurite] = await Promise.all([startVsftpd(root), startAzurite({ persistent: true })]);
    // Azurite saves its container list lazily: a restart right after creating containers can
    // forget them, which no real account does. Create them and restart once so they are saved.
    for (const name of ['incoming', 'processed', 'ingest-runs'])
      await azurite.blobService.getContainerClient(name).createIfNotExists();
    await azurite.restart();
  });
  after(async () => {
    if (server !== undefined && !('skip' in server)) await server.stop();
    await azurite?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('rides out an Azurite restart and commits nothing half-written', async (t) => {
    if ('skip' in server) return t.skip(server.skip);
    const env = { ...baseEnv(server.port, azurite, server), SOURCE_NAME: 'outage' };
    const incoming = azurite.blobService.getContainerClient('incoming');
    const watcher = watchForPartialBlobs(incoming);
    let restarted: Promise<void> | undefined;
    const { report, logs } = await syncWith(env, {
      onFile: () => {
        // Down for two seconds right after the first commit, while the others upload.
        restarted ??= azurite.restart(2000);
      },
    });
    await restarted;
    await watcher.stop();
    assert.ok(restarted !== undefined, 'the restart happened during the run');
    assert.equal(report.summary.failed, 0, logs.join('\n'));
    assert.equal(report.summary.transferred, contents.length);
    for (const [i, content] of contents.entries()) {
      const stored = await incoming.getBlobClient(`outage/big-${i}.bin`).downloadToBuffer();
      assert.ok(stored.equals(content), `big-${i}.bin differs`);
    }
    assert.deepEqual(watcher.violations, []);
  });
});

describe('a file that changes between listing and download', () => {
  let root: string;
  let server: RunningFtpServer | SkipReason;
  let azurite: RunningAzurite;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-changing-'));
    await chmod(root, 0o755);
    [server, azurite] = await Promise.all([startVsftpd(root), startAzurite()]);
  });
  after(async () => {
    if (server !== undefined && !('skip' in server)) await server.stop();
    await azurite?.stop();
    await rm(root, { recursive: true, force: true });
  });

  for (const [change, edit] of [
    ['grows', 'id\n1\n2\n3\n'],
    ['shrinks', 'id\n'],
  ] as const) {
    it(`fails a file that ${change} with FILE_CHANGED, commits nothing, and the next run takes it`, async (t) => {
      if ('skip' in server) return t.skip(server.skip);
      const path = join(root, `${change}.csv`);
      await writeFile(path, 'id\n1\n2\n');
      await utimes(path, hourAgo, hourAgo);
      const env = { ...baseEnv(server.port, azurite, server), SOURCE_NAME: `changes-${change}` };
      const later = new Date(hourAgo.getTime() + 60_000);
      const { report } = await syncWith(env, {
        onPlan: () => {
          writeFileSync(path, edit);
          utimesSync(path, later, later);
        },
      });
      assert.equal(report.summary.failed, 1);
      assert.equal(report.summary.failures[0]?.errorCode, 'FILE_CHANGED');
      assert.match(report.summary.failures[0]?.error ?? '', /nothing was committed/);
      const blob = azurite.blobService
        .getContainerClient('incoming')
        .getBlobClient(`changes-${change}/${change}.csv`);
      assert.equal(await blob.exists(), false);

      const next = await syncWith(env);
      assert.equal(next.report.summary.transferred, 1);
      assert.equal((await blob.downloadToBuffer()).toString(), edit);
    });
  }
});

describe('a server that stops answering, and two runs at once', () => {
  let root: string;
  let server: RunningFtpServer | SkipReason;
  let azurite: RunningAzurite;
  let proxy: FtpProxy;
  const big = randomBytes(3 * 1024 * 1024);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-stall-'));
    await chmod(root, 0o755);
    await mkdir(join(root, 'in'));
    await writeFile(join(root, 'in/big.bin'), big);
    await utimes(join(root, 'in/big.bin'), hourAgo, hourAgo);
    [server, azurite] = await Promise.all([startVsftpd(root), startAzurite()]);
    if (!('skip' in server)) proxy = await new FtpProxy({ targetPort: server.port }).start();
  });
  after(async () => {
    await proxy?.stop();
    if (server !== undefined && !('skip' in server)) await server.stop();
    await azurite?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('fails cleanly within the timeout when a listing stalls, and the next run starts fresh', async (t) => {
    if ('skip' in server) return t.skip(server.skip);
    const env = {
      ...baseEnv(proxy.port, azurite, server),
      SOURCE_NAME: 'stalled',
      FTP_TIMEOUT_SECONDS: '2',
    };
    proxy.stallOn = /^(LIST|MLSD)/i;
    const started = Date.now();
    const stalled = await cli(['sync', '--no-progress', '--no-process'], env);
    const elapsed = Date.now() - started;
    assert.equal(stalled.code, 1);
    assert.match(stalled.err, /did not answer in time/);
    assert.ok(elapsed < 10_000, `took ${elapsed} ms with a 2 s timeout`);

    proxy.stallOn = undefined;
    const fresh = await cli(['sync', '--json', '--no-progress', '--no-process'], env);
    assert.equal(fresh.code, 0, fresh.err);
    assert.equal((JSON.parse(fresh.out) as { transferred: number }).transferred, 1);
  });

  it('refuses a second sync of the same source while the first holds the lock', async (t) => {
    if ('skip' in server) return t.skip(server.skip);
    const env = { ...baseEnv(proxy.port, azurite, server), SOURCE_NAME: 'locked' };
    proxy.bytesPerSecond = 1024 * 1024;
    try {
      const first = cli(['sync', '--json', '--no-progress', '--no-process'], env);
      const lock = azurite.blobService
        .getContainerClient('ingest-runs')
        .getBlobClient('locked/sync.lock');
      for (let i = 0; i < 100; i++) {
        const leased = await lock.getProperties().then(
          (p) => p.leaseState === 'leased',
          () => false,
        );
        if (leased) break;
        await sleep(50);
      }
      const second = await cli(['sync', '--no-progress', '--no-process'], env);
      assert.equal(second.code, 1);
      assert.match(second.err, /SOURCE_LOCKED|already being synced/);
      const done = await first;
      assert.equal(done.code, 0, done.err);
      assert.equal((JSON.parse(done.out) as { transferred: number }).transferred, 1);
    } finally {
      proxy.bytesPerSecond = undefined;
    }
  });

  it('gives the source lock back when the CLI is stopped with Ctrl-C', async (t) => {
    if ('skip' in server) return t.skip(server.skip);
    const env = { ...baseEnv(proxy.port, azurite, server), SOURCE_NAME: 'interrupted' };
    const lock = azurite.blobService
      .getContainerClient('ingest-runs')
      .getBlobClient('interrupted/sync.lock');
    const leaseState = () =>
      lock.getProperties().then(
        (p) => p.leaseState,
        () => undefined,
      );
    proxy.stallOn = /^(LIST|MLSD)/i;
    const child = spawn(process.execPath, [cliPath, 'sync', '--no-progress'], {
      env: { PATH: process.env.PATH, ...env, FTP_TIMEOUT_SECONDS: '60' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    try {
      for (let i = 0; i < 200 && (await leaseState()) !== 'leased'; i++) await sleep(50);
      assert.equal(await leaseState(), 'leased', stderr);
      child.kill('SIGINT');
      assert.equal(await exited, 130, stderr);
      assert.match(stderr, /SIGINT: releasing the source lock/);
      assert.equal(await leaseState(), 'available');
    } finally {
      proxy.stallOn = undefined;
      child.kill('SIGKILL');
    }
  });
});
