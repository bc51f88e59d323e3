import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { remotePathOf } from '../../src/naming/blobName.js';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';
import { cli } from '../helpers/cli.js';
import { startInProcessFtp, type InProcessFtpServer } from '../helpers/ftpServers.js';
import { ScriptedFtpServer, type ScriptedFile } from '../helpers/scriptedFtp.js';

const listed = (name: string, size: number | string) =>
  `-rw-r--r-- 1 owner group ${size} Jan 15  2020 ${name}`;

let azurite: RunningAzurite;
before(async () => {
  azurite = await startAzurite();
});
after(async () => {
  await azurite?.stop();
});

function envFor(server: { host: string; port: number; user: string; password: string }) {
  return {
    FTP_HOST: server.host,
    FTP_PORT: String(server.port),
    FTP_USER: server.user,
    FTP_PASSWORD: server.password,
    FTP_TIMEOUT_SECONDS: '10',
    AzureWebJobsStorage: azurite.connectionString,
    SOURCE_NAME: 'hostile',
    LOG_LEVEL: 'warn',
  };
}

interface Summary {
  readonly listed: number;
  readonly transferred: number;
  readonly failed: number;
  readonly failures: readonly { path: string; errorCode: string; error: string }[];
  readonly problems: readonly { path: string; reason: string }[];
}

async function allBlobNames(container: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of azurite.blobService.getContainerClient(container).listBlobsFlat())
    names.push(blob.name);
  return names;
}

describe('remote names that try to escape', () => {
  const longName = 'x'.repeat(1100) + '.csv';
  /** Name as the server lists it → whether it can become a blob. */
  const names: readonly (readonly [string, boolean])[] = [
    ['../escape.csv', true],
    ['../../../etc/passwd', true],
    ['..\\..\\windows.csv', true],
    ['back\\slash.csv', true],
    ['ctl\u0001char\u007f.csv', true],
    ['trailing.', true],
    ['%2e%2e', true],
    ['query?and#hash.csv', true],
    ['/absolute.csv', true],
    [longName, false],
  ];
  let server: ScriptedFtpServer;
  let summary: Summary;

  before(async () => {
    const files: ScriptedFile[] = names.map(([name]) => ({
      path: name.startsWith('/') ? name : '/' + name,
      content: Buffer.from(`content of ${name}\n`),
    }));
    const listing = names.map(([name]) => listed(name, `content of ${name}\n`.length));
    server = await new ScriptedFtpServer({
      files,
      rawListings: new Map([['/', listing.join('\r\n') + '\r\n']]),
    }).start();
    const run = await cli(['sync', '--json', '--no-progress', '--no-process'], envFor(server));
    assert.ok(run.out !== '', run.err);
    summary = JSON.parse(run.out) as Summary;
  });
  after(async () => {
    await server?.stop();
  });

  it('writes nothing outside <source>/, in any container', async () => {
    for (const container of ['incoming', 'processed'])
      for (const name of await allBlobNames(container))
        assert.ok(name.startsWith('hostile/'), `${container}/${name} escaped the source prefix`);
    for (const name of await allBlobNames('ingest-runs'))
      assert.ok(name.startsWith('hostile/'), `ingest-runs/${name}`);
  });

  it('stores every storable name, encoded and reversible, with its own bytes', async () => {
    const incoming = azurite.blobService.getContainerClient('incoming');
    const stored = await allBlobNames('incoming');
    const wanted = names.filter(([, storable]) => storable).map(([name]) => name);
    assert.equal(summary.transferred, wanted.length, JSON.stringify(summary, null, 2));
    assert.equal(stored.length, wanted.length, stored.join('\n'));
    for (const blobName of stored) {
      const path = remotePathOf('hostile', blobName);
      const original = wanted.find((name) => name.replace(/^\/+/, '') === path);
      assert.ok(original !== undefined, `${blobName} maps back to unknown ${path}`);
      const bytes = await incoming.getBlobClient(blobName).downloadToBuffer();
      assert.equal(bytes.toString(), `content of ${original}\n`);
      assert.doesNotMatch(blobName, /\/\.\.?(\/|$)|\\|[\u0000-\u001f]/, blobName);
    }
  });

  it('refuses a name too long for Blob Storage with a clear reason', () => {
    const refused = summary.problems.find((problem) => problem.path === longName);
    assert.ok(refused !== undefined, JSON.stringify(summary.problems));
    assert.match(refused.reason, /Blob Storage allows 1024 characters/);
  });
});

describe('broken listings', () => {
  it('reports an unreadable folder and implausible sizes, and goes on with the rest', async () => {
    const good = { path: '/ok/good.csv', content: Buffer.from('id\n1\n') };
    const server = await new ScriptedFtpServer({
      files: [good, { path: '/bad/x.csv', content: Buffer.from('x') }],
      rawListings: new Map([
        [
          '/',
          [
            'drwxr-xr-x 1 owner group 0 Jan 15  2020 ok',
            'drwxr-xr-x 1 owner group 0 Jan 15  2020 bad',
            'drwxr-xr-x 1 owner group 0 Jan 15  2020 sizes',
            '',
          ].join('\r\n'),
        ],
        ['/bad', 'total 3\r\n%%% this is not a listing %%%\r\n\u0000\u0001garbage\r\n'],
        [
          '/sizes',
          [
            listed('absurd.csv', '99999999999999999999999'),
            listed('negative.csv', '-5'),
            listed('huge.csv', String(2 ** 53)),
            '',
          ].join('\r\n'),
        ],
      ]),
    }).start();
    try {
      const run = await cli(['sync', '--json', '--no-progress', '--no-process'], {
        ...envFor(server),
        SOURCE_NAME: 'broken',
      });
      assert.ok(run.out !== '', run.err);
      const summary = JSON.parse(run.out) as Summary;
      assert.equal(summary.transferred, 1, JSON.stringify(summary, null, 2));
      const problems = new Map(summary.problems.map((p) => [p.path, p.reason]));
      assert.match(problems.get('bad') ?? '', /listing/i, JSON.stringify(summary.problems));
      assert.match(problems.get('sizes/absurd.csv') ?? '', /implausible size/);
      assert.match(problems.get('sizes/huge.csv') ?? '', /implausible size/);
      assert.ok(!(await allBlobNames('incoming')).some((name) => name.startsWith('broken/sizes')));
    } finally {
      await server.stop();
    }
  });

  it('stops an endless folder recursion at the depth limit and says so', async () => {
    const server = await new ScriptedFtpServer({
      files: [{ path: '/loop/a.csv', content: Buffer.from('id\n1\n') }],
      endlessFolders: true,
    }).start();
    try {
      const started = Date.now();
      const run = await cli(['sync', '--json', '--no-progress', '--no-process'], {
        ...envFor(server),
        SOURCE_NAME: 'endless',
      });
      assert.ok(run.out !== '', run.err);
      const summary = JSON.parse(run.out) as Summary;
      assert.equal(summary.transferred, 1);
      assert.ok(
        summary.problems.some((p) => /deeper than 64 levels/.test(p.reason)),
        JSON.stringify(summary.problems),
      );
      assert.ok(Date.now() - started < 60_000);
    } finally {
      await server.stop();
    }
  });
});

describe('secrets', () => {
  const password = 'S3cret-ftp-pass!word';
  let root: string;
  let server: InProcessFtpServer;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ftp-secrets-'));
    await writeFile(join(root, 'a.csv'), 'id,name\n1,x\n');
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(join(root, 'a.csv'), hourAgo, hourAgo);
    server = await startInProcessFtp(root, { password });
  });
  after(async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('never prints, logs or stores the FTP password or the storage key', async () => {
    const accountKey = /AccountKey=([^;]+)/.exec(azurite.connectionString)?.[1] ?? '';
    assert.ok(accountKey.length > 20);
    const env = { ...envFor(server), SOURCE_NAME: 'secrets', LOG_LEVEL: 'debug' };
    const refused = await cli(['sync', '--no-progress'], {
      ...env,
      FTP_PASSWORD: 'Wrong-ftp-pass!word',
    });
    assert.notEqual(refused.code, 0);
    const ok = await cli(['sync', '--json', '--no-progress'], env);
    assert.equal(ok.code, 0, ok.err);
    const status = await cli(['status', '--json'], env);

    const texts: string[] = [];
    for (const run of [refused, ok, status]) texts.push(run.out, run.err, run.logs);
    for (const container of ['incoming', 'processed', 'ingest-runs']) {
      const client = azurite.blobService.getContainerClient(container);
      for await (const blob of client.listBlobsFlat({ includeMetadata: true })) {
        texts.push(blob.name, JSON.stringify(blob.metadata ?? {}));
        if (container === 'ingest-runs')
          texts.push((await client.getBlobClient(blob.name).downloadToBuffer()).toString());
      }
    }
    assert.ok(ok.logs.split('\n').length > 5, 'debug logging produced entries');
    const everything = texts.join('\n');
    for (const secret of [password, 'Wrong-ftp-pass!word', accountKey])
      assert.ok(!everything.includes(secret), `a secret leaked: ${secret.slice(0, 4)}…`);
  });
});
