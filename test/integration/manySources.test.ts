import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DurableOrchestrationStatus } from 'durable-functions';
import type { RunSummary } from '../../src/sync/runSummary.js';
import type { SourceOverview } from '../../src/sync/sourcesOverview.js';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';
import { cli } from '../helpers/cli.js';
import { runOrchestration, type HarnessRun } from '../helpers/durableHarness.js';
import {
  freePort,
  startInProcessFtp,
  startVsftpd,
  type RunningFtpServer,
} from '../helpers/ftpServers.js';
import { installFunctionsCore } from '../helpers/functionsHost.js';

// Four vendors in one app, at once: acme on vsftpd, beta on the in-process server with a
// format of its own, gamma with a wrong password, delta whose server is down. The good ones
// complete under their own prefixes; each bad one fails alone, its error in its own summary.

const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
const acmeFiles = {
  'daily/orders.csv': 'id,amount\n1,10\n2,20\n',
  'prices.csv': 'sku,price\nA,1.50\nB,2.25\nC,3.00\n',
};
const betaFiles = { 'in/stock.txt': 'sku|qty\nA|5\nB|7\n' };

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
    await utimes(join(root, path), hourAgo, hourAgo);
  }
}

describe('many sources in one app', () => {
  let dirs: string[] = [];
  let acme: RunningFtpServer;
  let beta: RunningFtpServer;
  let gamma: RunningFtpServer;
  let azurite: RunningAzurite;
  let env: Record<string, string>;

  before(async () => {
    dirs = await Promise.all(['acme', 'beta', 'gamma'].map((n) => mkdtemp(join(tmpdir(), n))));
    // vsftpd serves as its own system user, which mkdtemp's 0700 would keep out.
    await Promise.all(dirs.map((dir) => chmod(dir, 0o755)));
    await writeTree(dirs[0], acmeFiles);
    await writeTree(dirs[1], betaFiles);
    await writeTree(dirs[2], { 'never.csv': 'a\n1\n' });
    // vsftpd is the LIST-only server vendors run most; without it, the in-process server.
    const vsftpd = await startVsftpd(dirs[0]);
    acme = 'skip' in vsftpd ? await startInProcessFtp(dirs[0]) : vsftpd;
    [beta, gamma, azurite] = await Promise.all([
      startInProcessFtp(dirs[1], { user: 'beta', password: 'beta-password' }),
      startInProcessFtp(dirs[2], { user: 'gamma', password: 'gamma-right-password' }),
      startAzurite(),
    ]);
    const downPort = await freePort();
    const ftp = (server: { host: string; port: number; user: string }) => ({
      host: server.host,
      port: server.port,
      user: server.user,
      minAgeSeconds: 0,
      timeoutSeconds: 5,
    });
    const sources = [
      { name: 'acme', ftp: ftp(acme) },
      {
        name: 'beta',
        ftp: ftp(beta),
        formats: [{ match: '**/*.txt', delimiter: '|' }],
      },
      { name: 'gamma', ftp: ftp(gamma) },
      { name: 'delta', ftp: { ...ftp(beta), port: downPort, user: 'delta' } },
      // Its Key Vault secret does not exist yet: its runs fail, the others' do not.
      { name: 'epsilon', ftp: ftp(beta) },
      // Due once a year at New Year: never in this test's timer tick.
      { name: 'yearly', schedule: '0 0 0 1 1 *', ftp: ftp(beta) },
    ];
    env = {
      SOURCES: JSON.stringify(sources),
      FTP_PASSWORD_ACME: acme.password,
      FTP_PASSWORD_BETA: beta.password,
      FTP_PASSWORD_GAMMA: 'gamma-wrong-password',
      FTP_PASSWORD_DELTA: 'delta-password',
      FTP_PASSWORD_EPSILON:
        '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/ftp-password-epsilon)',
      FTP_PASSWORD_YEARLY: beta.password,
      AzureWebJobsStorage: azurite.connectionString,
      LOG_LEVEL: 'error',
    };
  });

  after(async () => {
    await Promise.all([acme?.stop(), beta?.stop(), gamma?.stop(), azurite?.stop()]);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const blobNames = async (container: string, prefix = '') => {
    const names: string[] = [];
    const client = azurite.blobService.getContainerClient(container);
    for await (const blob of client.listBlobsFlat({ prefix })) names.push(blob.name);
    return names.sort();
  };
  const latest = async (container: string, source: string) =>
    JSON.parse(
      (
        await azurite.blobService
          .getContainerClient(container)
          .getBlobClient(`${source}/latest.json`)
          .downloadToBuffer()
      ).toString('utf8'),
    ) as RunSummary;

  it('syncs each source through the CLI at once; the failing ones fail alone', async () => {
    const names = ['acme', 'beta', 'gamma', 'delta', 'epsilon'];
    const runs = await Promise.all(
      names.map((source) => cli(['sync', '--source', source, '--json', '--no-progress'], env)),
    );
    const [acmeRun, betaRun, gammaRun, deltaRun, epsilonRun] = runs;
    assert.equal(acmeRun.code, 0, acmeRun.err);
    assert.equal(betaRun.code, 0, betaRun.err);
    assert.equal(gammaRun.code, 1, gammaRun.err);
    assert.equal(deltaRun.code, 1, deltaRun.err);
    assert.equal(epsilonRun.code, 2, epsilonRun.out);
    assert.match(epsilonRun.out, /FTP_PASSWORD_EPSILON is still a Key Vault reference/);

    assert.deepEqual(await blobNames('incoming'), [
      'acme/daily/orders.csv',
      'acme/prices.csv',
      'beta/in/stock.txt',
    ]);
    const incoming = azurite.blobService.getContainerClient('incoming');
    const stock = await incoming.getBlobClient('beta/in/stock.txt').getProperties();
    assert.equal(stock.metadata?.source, 'beta');
    assert.equal(stock.metadata?.status, 'processed');
    assert.equal(stock.metadata?.records_valid, '2', "beta's own pipe format");
    const prices = await incoming.getBlobClient('acme/prices.csv').getProperties();
    assert.equal(prices.metadata?.records_valid, '3');
    const outputs = await blobNames('processed');
    assert.ok(outputs.length > 0 && outputs.every((n) => /^(acme|beta)\//.test(n)), `${outputs}`);

    const runsBlobs = await blobNames('ingest-runs');
    for (const source of names)
      assert.ok(runsBlobs.includes(`${source}/latest.json`), `${source} has its own summary`);
    assert.equal((await latest('ingest-runs', 'acme')).transferred, 2);
    assert.equal((await latest('ingest-runs', 'beta')).transferred, 1);
    const gammaSummary = await latest('ingest-runs', 'gamma');
    assert.equal(gammaSummary.error?.code, 'FTP_LOGIN', JSON.stringify(gammaSummary));
    const deltaSummary = await latest('ingest-runs', 'delta');
    assert.match(deltaSummary.error?.code ?? '', /^FTP_(CONNECT|TIMEOUT)$/);
    assert.equal((await latest('ingest-runs', 'epsilon')).error?.code, 'CONFIG');
    for (const run of runs)
      assert.ok(!(run.out + run.err + run.logs).includes('gamma-wrong-password'), 'no password');
  });

  it('shows every source in status: last run, failures and next due time', async () => {
    const run = await cli(['status', '--json'], env);
    assert.equal(run.code, 0, run.err);
    const { runs } = JSON.parse(run.out) as { runs: SourceOverview[] };
    const by = new Map(runs.map((r) => [r.source, r]));
    assert.deepEqual([...by.keys()], ['acme', 'beta', 'gamma', 'delta', 'epsilon', 'yearly']);
    assert.equal(by.get('acme')?.lastRun?.transferred, 2);
    assert.equal(by.get('gamma')?.lastRun?.error?.code, 'FTP_LOGIN');
    assert.equal(by.get('yearly')?.lastRun, null);
    assert.match(by.get('yearly')?.nextDue ?? '', /-01-01T00:00:00\.000Z$/);
    const table = await cli(['status'], env);
    assert.match(table.out, /gamma: \(run\): FTP_LOGIN/);
  });

  it('starts every due source from one timer tick, each its own orchestration', async () => {
    // Containers of its own, so this run starts from nothing like the CLI run did.
    Object.assign(process.env, env, {
      INCOMING_CONTAINER: 'orch-incoming',
      PROCESSED_CONTAINER: 'orch-processed',
      RUNS_CONTAINER: 'orch-runs',
      SYNC_SCHEDULE: '0 */5 * * * *',
    });
    installFunctionsCore();
    await import('../../src/functions/syncWorkflow.js');
    const { appRuntime } = await import('../../src/orchestration/appRuntime.js');
    const { startDueSources } = await import('../../src/orchestration/startDueSources.js');
    const { syncOrchestratorName } = await import('../../src/orchestration/syncOrchestrator.js');
    const runtime = await appRuntime();

    const runs = new Map<string, Promise<HarnessRun>>();
    const client = {
      getStatus: async (): Promise<DurableOrchestrationStatus> => {
        throw new Error('Durable Functions extension replied with HTTP 404 response.');
      },
      startNew: async (name: string, options?: { instanceId?: string; input?: unknown }) => {
        const instanceId = options?.instanceId ?? '';
        const input = options?.input;
        runs.set(
          instanceId,
          runOrchestration({ orchestrator: name, input, instanceId, start: new Date() }),
        );
        return instanceId;
      },
      terminate: async () => {},
    };
    const now = new Date();
    const starts = await startDueSources(
      client,
      runtime.settings,
      { now, last: new Date(now.getTime() - 5 * 60_000) },
      { orchestrator: syncOrchestratorName, log: runtime.deps.log },
    );
    assert.deepEqual(
      starts.map((s) => [s.source, s.kind]),
      [
        ['acme', 'started'],
        ['beta', 'started'],
        ['gamma', 'started'],
        ['delta', 'started'],
        ['epsilon', 'started'],
        ['yearly', 'not-due'],
      ],
    );
    const results = new Map<string, HarnessRun>();
    for (const [id, run] of runs) results.set(id, await run);
    await runtime.deps.pools.closeAll();

    assert.equal(results.get('sync-acme')?.status, 'Completed', results.get('sync-acme')?.error);
    assert.equal(results.get('sync-beta')?.status, 'Completed', results.get('sync-beta')?.error);
    assert.equal((results.get('sync-acme')?.output as RunSummary).transferred, 2);
    // A bad password is permanent: the run completes at once with its error in its summary.
    const gammaOut = results.get('sync-gamma')?.output as RunSummary;
    assert.equal(gammaOut.error?.code, 'FTP_LOGIN');
    // So is a password that is not there: the run names the setting.
    const epsilonOut = results.get('sync-epsilon')?.output as RunSummary;
    assert.equal(epsilonOut.error?.code, 'CONFIG', JSON.stringify(epsilonOut));
    // A server down is retried, then the run fails alone, after recording why.
    assert.equal(results.get('sync-delta')?.status, 'Failed');
    const deltaError = (await latest('orch-runs', 'delta')).error;
    assert.match(deltaError?.code ?? '', /^FTP_(CONNECT|TIMEOUT)$/, JSON.stringify(deltaError));

    assert.deepEqual(await blobNames('orch-incoming'), [
      'acme/daily/orders.csv',
      'acme/prices.csv',
      'beta/in/stock.txt',
    ]);
    assert.equal((await latest('orch-runs', 'gamma')).error?.code, 'FTP_LOGIN');
  });
});
