import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadSettings, type Environment } from '../../src/config/settings.js';
import { processorOptionsFor } from '../../src/records/processorOptions.js';

// SOURCES: many vendors in one app. Every problem is named by position, source and field, all
// at once; passwords come only from FTP_PASSWORD_<NAME> and never appear in a message.

const storage = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
const acme = { name: 'acme', ftp: { host: 'ftp.acme.example', user: 'feed' } };
const beta = { name: 'beta-2', ftp: { host: 'ftp.beta.example', user: 'beta' } };
const passwords = { FTP_PASSWORD_ACME: 'acme-secret-pw', FTP_PASSWORD_BETA_2: 'beta-secret-pw' };

function envWith(sources: unknown, extra: Environment = {}): Environment {
  return { ...storage, ...passwords, SOURCES: JSON.stringify(sources), ...extra };
}

function problemsOf(env: Environment): readonly string[] {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('SOURCES', () => {
  it('reads each source with its defaults, schedule and password setting', () => {
    const settings = loadSettings(
      envWith([
        { ...acme, schedule: '0 0 6 * * *', ftp: { ...acme.ftp, include: 'daily/**,*.csv' } },
        { ...beta, ftp: { ...beta.ftp, port: 990, secure: 'implicit', maxConnections: 2 } },
      ]),
    );
    const [first, second] = settings.sources;
    assert.equal(first?.name, 'acme');
    assert.equal(first?.schedule, '0 0 6 * * *');
    assert.deepEqual(first?.ftp.include, ['daily/**', '*.csv']);
    assert.equal(first?.ftp.password.reveal(), 'acme-secret-pw');
    assert.deepEqual(
      [first?.ftp.port, first?.ftp.secure, first?.ftp.root, first?.ftp.timeoutMs],
      [21, 'false', '/', 30_000],
    );
    assert.equal(second?.name, 'beta-2');
    assert.equal(second?.schedule, undefined, 'no schedule: due on every timer tick');
    assert.equal(second?.ftp.password.reveal(), 'beta-secret-pw', 'FTP_PASSWORD_BETA_2');
    assert.deepEqual(
      [second?.ftp.port, second?.ftp.secure, second?.ftp.maxConnections],
      [990, 'implicit', 2],
    );
  });

  it('keeps the single-source settings working when SOURCES is absent', () => {
    const settings = loadSettings({ ...storage, FTP_HOST: 'h', SOURCE_NAME: 'solo' });
    assert.deepEqual(
      settings.sources.map((s) => s.name),
      ['solo'],
    );
  });

  it('gives each source its own formats, falling back to SOURCE_FORMATS', () => {
    const settings = loadSettings(
      envWith([{ ...acme, formats: [{ match: '**/*.txt', delimiter: '|' }] }, beta], {
        SOURCE_FORMATS: JSON.stringify([{ match: '**/*.csv', delimiter: ';' }]),
      }),
    );
    const [first, second] = settings.sources.map((s) => processorOptionsFor(settings, s));
    assert.deepEqual(
      first?.formats.formats.map((f) => [f.match, f.delimiter]),
      [[['**/*.txt'], '|']],
    );
    assert.deepEqual(
      second?.formats.formats.map((f) => [f.match, f.delimiter]),
      [[['**/*.csv'], ';']],
    );
  });

  it('lets an anonymous source go without a password', () => {
    const settings = loadSettings(envWith([{ name: 'open', ftp: { host: 'h' } }]));
    assert.equal(settings.sources[0]?.ftp.password.reveal(), '');
  });

  const cases: ReadonlyArray<readonly [string, unknown, readonly RegExp[], Environment?]> = [
    [
      'a port out of range',
      [{ ...acme, ftp: { ...acme.ftp, port: 70000 } }],
      [/^SOURCES\[0\] \(acme\)\.ftp\.port: /],
    ],
    [
      'a missing host',
      [{ name: 'acme', ftp: { user: 'feed' } }],
      [/^SOURCES\[0\] \(acme\)\.ftp\.host: /],
    ],
    [
      'an unknown secure mode',
      [{ ...acme, ftp: { ...acme.ftp, secure: 'tls' } }],
      [/^SOURCES\[0\] \(acme\)\.ftp\.secure: /],
    ],
    [
      'a misspelt field',
      [{ ...acme, ftp: { ...acme.ftp, hots: 'x' } }],
      [/^SOURCES\[0\] \(acme\)\.ftp: Unrecognized key: "hots"/],
    ],
    [
      'a bad time zone',
      [{ ...acme, ftp: { ...acme.ftp, timezone: 'Mars/Base' } }],
      [/^SOURCES\[0\] \(acme\)\.ftp\.timezone: expected an IANA/],
    ],
    [
      'a name that is no blob prefix',
      [{ ...acme, name: 'Acme/Feed' }],
      [/^SOURCES\[0\] \("Acme\/Feed"\)\.name: expected 1-63 lowercase/],
    ],
    [
      'a duplicate name',
      [acme, { ...beta, name: 'acme' }],
      [/^SOURCES\[1\] \(acme\)\.name: duplicate of SOURCES\[0\]/],
    ],
    [
      'a five-field schedule',
      [{ ...acme, schedule: '0 6 * * *' }],
      [/^SOURCES\[0\] \(acme\)\.schedule: expected six NCRONTAB fields/],
    ],
    [
      'an impossible schedule',
      [{ ...acme, schedule: '0 0 25 * * *' }],
      [/^SOURCES\[0\] \(acme\)\.schedule: not a valid NCRONTAB/],
    ],
    [
      'a bad format',
      [{ ...acme, formats: [{ match: '*.txt', layout: 'fixed' }] }],
      [/^SOURCES\[0\] \(acme\)\.formats\[0\]\.fields: a fixed layout needs fields/],
    ],
    [
      'a password inside SOURCES',
      [{ ...acme, ftp: { ...acme.ftp, password: 'inline-secret-pw' } }],
      [
        /^SOURCES\[0\] \(acme\)\.ftp\.password: passwords do not belong in SOURCES; set FTP_PASSWORD_ACME/,
      ],
    ],
    ['an empty list', [], [/^SOURCES: expected a non-empty JSON array/]],
    [
      'both SOURCES and FTP_HOST',
      [acme],
      [/^SOURCES and FTP_HOST, SOURCE_NAME are both set/],
      { FTP_HOST: 'h', SOURCE_NAME: 'x' },
    ],
    [
      'several problems in several sources at once',
      [
        { ...acme, ftp: { ...acme.ftp, port: 0 } },
        { ...beta, schedule: 'often', ftp: { host: '' } },
      ],
      [
        /^SOURCES\[0\] \(acme\)\.ftp\.port: /,
        /^SOURCES\[1\] \(beta-2\)\.schedule: /,
        /^SOURCES\[1\] \(beta-2\)\.ftp\.host: /,
      ],
    ],
  ];
  for (const [what, sources, expected, extra] of cases)
    it(`reports ${what} with the source and field`, () => {
      const problems = problemsOf(envWith(sources, extra));
      for (const pattern of expected)
        assert.ok(
          problems.some((p) => pattern.test(p)),
          `${pattern} in:\n${problems.join('\n')}`,
        );
      assert.equal(problems.length, expected.length, problems.join('\n'));
    });

  const unusablePasswords: [string, Environment, RegExp][] = [
    [
      'a missing password',
      { FTP_PASSWORD_BETA_2: '' },
      /^SOURCES\[1\] \(beta-2\): FTP_PASSWORD_BETA_2 is missing: expected the password of user "beta"/,
    ],
    [
      'an unresolved Key Vault reference',
      {
        FTP_PASSWORD_BETA_2:
          '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/ftp-password-beta)',
      },
      /^SOURCES\[1\] \(beta-2\): FTP_PASSWORD_BETA_2 is still a Key Vault reference/,
    ],
  ];
  it('fails only its own source with a CA file that does not exist', () => {
    const ca = { ...beta.ftp, secure: 'explicit', caFile: '/nonexistent/ca.pem' };
    const settings = loadSettings(envWith([acme, { ...beta, ftp: ca }]));
    assert.equal(settings.sources[0]?.ftp.loginProblem, undefined);
    assert.match(
      settings.sources[1]?.ftp.loginProblem ?? '',
      /^SOURCES\[1\] \(beta-2\)\.ftp\.caFile is "\/nonexistent\/ca\.pem": no such file/,
    );
  });

  for (const [what, extra, expected] of unusablePasswords)
    it(`keeps the other sources running with ${what}, which fails its own source`, () => {
      const settings = loadSettings(envWith([acme, beta], extra));
      const [first, second] = settings.sources;
      assert.equal(first?.ftp.loginProblem, undefined);
      assert.equal(first?.ftp.password.reveal(), 'acme-secret-pw');
      assert.match(second?.ftp.loginProblem ?? '', expected);
    });

  it('ignores an unresolved Key Vault reference for an anonymous source', () => {
    const open = { name: 'public-stats', ftp: { host: 'ftp.stats.example' } };
    const reference = '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/x)';
    const settings = loadSettings(envWith([acme, open], { FTP_PASSWORD_PUBLIC_STATS: reference }));
    assert.equal(settings.sources[1]?.ftp.loginProblem, undefined);
    assert.equal(settings.sources[1]?.ftp.password.reveal(), '');
  });

  it('never prints a password, not even one misplaced in broken JSON', () => {
    const broken = '[{"name":"acme","ftp":{"host":"h","password":"inline-secret-pw" ]';
    const envs: Environment[] = [
      { ...storage, ...passwords, SOURCES: broken },
      envWith([{ ...acme, ftp: { ...acme.ftp, password: 'inline-secret-pw', port: 'x' } }]),
      envWith([
        { ...acme, ftp: { ...acme.ftp, port: -1 } },
        { ...beta, ftp: { host: '' } },
      ]),
    ];
    for (const env of envs) {
      let message = '';
      try {
        loadSettings(env);
      } catch (error) {
        message = (error as Error).message;
      }
      assert.match(message, /Invalid configuration/);
      for (const secret of ['inline-secret-pw', 'acme-secret-pw', 'beta-secret-pw'])
        assert.ok(!message.includes(secret), `${secret} leaked in:\n${message}`);
    }
  });

  it('reads SOURCES from a file path too', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const path = join(await mkdtemp(join(tmpdir(), 'sources-')), 'sources.json');
    await writeFile(path, JSON.stringify([acme, beta]));
    const settings = loadSettings({ ...storage, ...passwords, SOURCES: path });
    assert.deepEqual(
      settings.sources.map((s) => s.name),
      ['acme', 'beta-2'],
    );
  });
});
