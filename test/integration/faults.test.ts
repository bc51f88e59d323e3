import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerClient } from '@azure/storage-blob';
import { loadSettings } from '../../src/config/settings.js';
import { runSync, type RunReport, type RunOptions } from '../../src/sync/runSync.js';
import { createSyncDeps, type SyncDeps } from '../../src/sync/SyncDeps.js';
import { Logger } from '../../src/telemetry/logger.js';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';
import { startVsftpd, type RunningFtpServer, type SkipReason } from '../helpers/ftpServers.js';
import { FtpProxy, seededRandom, type Cut } from '../helpers/tcpProxy.js';

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
  const trials = 20;
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
