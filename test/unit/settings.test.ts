import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadSettings, type Environment } from '../../src/config/settings.js';

const minimal = { FTP_HOST: 'ftp.example.com', AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

function problemsOf(env: Environment): readonly string[] {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('settings from the environment', () => {
  it('fills every default from two settings', () => {
    const settings = loadSettings(minimal);
    const [source] = settings.sources;
    assert.equal(source?.name, 'default');
    assert.deepEqual(
      {
        port: source?.ftp.port,
        user: source?.ftp.user,
        secure: source?.ftp.secure,
        root: source?.ftp.root,
        maxConnections: source?.ftp.maxConnections,
        minAgeSeconds: source?.ftp.minAgeSeconds,
        verifyCertificate: source?.ftp.verifyCertificate,
        timezone: source?.ftp.timezone,
      },
      {
        port: 21,
        user: 'anonymous',
        secure: 'false',
        root: '/',
        maxConnections: 4,
        minAgeSeconds: 60,
        verifyCertificate: true,
        timezone: 'UTC',
      },
    );
    assert.equal(settings.incomingContainer, 'incoming');
    assert.equal(settings.processedContainer, 'processed');
    assert.equal(settings.runsContainer, 'ingest-runs');
  });

  it('reads globs as comma-separated lists', () => {
    const settings = loadSettings({
      ...minimal,
      FTP_INCLUDE: '**/*.csv, daily/** ,',
      FTP_EXCLUDE: 'tmp/**',
    });
    assert.deepEqual(settings.sources[0]?.ftp.include, ['**/*.csv', 'daily/**']);
    assert.deepEqual(settings.sources[0]?.ftp.exclude, ['tmp/**']);
  });

  const invalid: readonly [string, Environment, RegExp][] = [
    [
      'a missing host',
      { AzureWebJobsStorage: 'UseDevelopmentStorage=true' },
      /^FTP_HOST is missing/,
    ],
    [
      'a port that is not a number',
      { ...minimal, FTP_PORT: '2x' },
      /^FTP_PORT is "2x": expected a whole number from 1 to 65535/,
    ],
    [
      'an unknown secure mode',
      { ...minimal, FTP_SECURE: 'tls' },
      /^FTP_SECURE is "tls": expected one of false, explicit, implicit/,
    ],
    ['zero connections', { ...minimal, FTP_MAX_CONNECTIONS: '0' }, /^FTP_MAX_CONNECTIONS/],
    [
      'an unknown time zone',
      { ...minimal, FTP_TIMEZONE: 'Mars/Olympus' },
      /^FTP_TIMEZONE is "Mars\/Olympus": expected an IANA time zone/,
    ],
    [
      'a container name with capitals',
      { ...minimal, INCOMING_CONTAINER: 'Incoming' },
      /^INCOMING_CONTAINER is "Incoming"/,
    ],
    ['a source name with a slash', { ...minimal, SOURCE_NAME: 'a/b' }, /^SOURCE_NAME is "a\/b"/],
    [
      'no storage connection at all',
      { FTP_HOST: 'h' },
      /^AzureWebJobsStorage is missing: expected a connection string/,
    ],
    [
      'a storage value that is not a connection string',
      { FTP_HOST: 'h', AzureWebJobsStorage: 'nonsense' },
      /not a storage connection string/,
    ],
    [
      'a five-field timer schedule',
      { ...minimal, SYNC_SCHEDULE: '*/15 * * * *' },
      /^SYNC_SCHEDULE is "\*\/15 \* \* \* \*": expected six NCRONTAB fields/,
    ],
    [
      'a timer schedule that is not NCRONTAB',
      { ...minimal, SYNC_SCHEDULE: 'bogus bogus * * * *' },
      /^SYNC_SCHEDULE is "bogus bogus \* \* \* \*": not a valid NCRONTAB expression/,
    ],
    [
      'a CA file that does not exist',
      { ...minimal, FTP_SECURE: 'explicit', FTP_CA_FILE: '/nonexistent/ca.pem' },
      /^FTP_CA_FILE is "\/nonexistent\/ca.pem": no such file/,
    ],
    [
      'an unresolved Key Vault reference',
      {
        ...minimal,
        FTP_PASSWORD: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/p)',
      },
      /^FTP_PASSWORD is still a Key Vault reference/,
    ],
  ];
  for (const [what, env, expected] of invalid)
    it(`reports ${what} by name and form`, () => {
      const problems = problemsOf(env);
      assert.ok(
        problems.some((p) => expected.test(p)),
        problems.join('\n'),
      );
    });

  it('reports every problem at once', () => {
    const problems = problemsOf({ FTP_PORT: '0', FTP_SECURE: 'x', LOG_LEVEL: 'loud' });
    for (const name of ['FTP_HOST', 'FTP_PORT', 'FTP_SECURE', 'LOG_LEVEL', 'AzureWebJobsStorage'])
      assert.ok(
        problems.some((p) => p.startsWith(name + ' ')),
        `${name} not reported`,
      );
  });

  it('follows STORAGE_CONNECTION to identity-based settings', () => {
    const settings = loadSettings({
      FTP_HOST: 'h',
      STORAGE_CONNECTION: 'DataStorage',
      DataStorage__blobServiceUri: 'https://data.blob.core.windows.net/',
      DataStorage__clientId: '1111',
    });
    assert.deepEqual(settings.storage, {
      kind: 'identity',
      name: 'DataStorage',
      serviceUri: 'https://data.blob.core.windows.net',
      clientId: '1111',
    });
  });

  it('derives the endpoint from an account name', () => {
    const settings = loadSettings({ FTP_HOST: 'h', AzureWebJobsStorage__accountName: 'acct' });
    assert.equal(
      settings.storage.kind === 'identity' && settings.storage.serviceUri,
      'https://acct.blob.core.windows.net',
    );
  });

  it('never puts the password or the account key into an error', () => {
    const key = 'c2VjcmV0LWFjY291bnQta2V5LWZvci10ZXN0cw==';
    const error = (() => {
      try {
        loadSettings({
          FTP_PASSWORD: 'pa55-w0rd-never-shown',
          FTP_PORT: 'bad',
          AzureWebJobsStorage: `DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${key}`,
        });
      } catch (caught) {
        return caught as Error;
      }
      return new Error('no error');
    })();
    assert.ok(error instanceof ConfigError);
    assert.doesNotMatch(error.message, /pa55-w0rd-never-shown/);
    assert.doesNotMatch(error.message, new RegExp(key.slice(0, 20)));
  });
});
