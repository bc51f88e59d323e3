import { readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { Secret } from './Secret.js';
import { SettingReader } from './SettingReader.js';
import { readSources, sourceNameForm, sourceNamePattern } from './sourcesSetting.js';
import { scheduleProblem } from '../sync/sourceSchedule.js';
import type {
  Environment,
  FtpSettings,
  FunctionsSettings,
  Settings,
  SourceSettings,
} from './settingTypes.js';

export { ConfigError } from './SettingReader.js';
export { passwordSettingName } from './sourcesSetting.js';
export type {
  Environment,
  FtpSecureMode,
  FtpSettings,
  FunctionsSettings,
  ProcessingSettings,
  Settings,
  SourceSettings,
  StorageConnection,
} from './settingTypes.js';

/**
 * The settings that describe the one source of a single-vendor app. With SOURCES they must be
 * unset: two places for one thing would leave a reader guessing which one wins.
 */
const singleSourceSettings = [
  'FTP_HOST',
  'FTP_PORT',
  'FTP_USER',
  'FTP_PASSWORD',
  'FTP_SECURE',
  'FTP_CA_FILE',
  'FTP_TLS_INSECURE',
  'FTP_ROOT',
  'FTP_INCLUDE',
  'FTP_EXCLUDE',
  'FTP_MAX_CONNECTIONS',
  'FTP_MIN_AGE_SECONDS',
  'FTP_DONE_SUFFIX',
  'FTP_TIMEZONE',
  'FTP_TIMEOUT_SECONDS',
  'SOURCE_NAME',
] as const;

/**
 * Every app setting this module reads, for the deployment drift check and the README.
 * `FTP_PASSWORD_<NAME>` stands for one setting per source listed in SOURCES.
 */
export const settingNames = [
  ...singleSourceSettings,
  'SOURCES',
  'FTP_PASSWORD_<NAME>',
  'CSV_DELIMITER',
  'STORAGE_CONNECTION',
  'INCOMING_CONTAINER',
  'PROCESSED_CONTAINER',
  'RUNS_CONTAINER',
  'LOG_LEVEL',
  'SYNC_SCHEDULE',
  'SYNC_STALE_AFTER_MINUTES',
  'SYNC_BATCH_MAX_FILES',
  'SYNC_BATCH_MAX_MB',
  'SYNC_BATCHES_PER_EXECUTION',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'SOURCE_FORMATS',
  'MAX_RECORD_BYTES',
  'MAX_REJECT_RATIO',
  'ENCODING_FALLBACK',
] as const;

/**
 * The process environment, over the `.env` file at `dotenvPath` when one is given and present.
 * Only the CLI passes one: in Azure, app settings are the configuration, and a `.env` deployed
 * by mistake must not supply a password or switch off certificate checks.
 */
export function readEnvironment(dotenvPath?: string): Environment {
  if (dotenvPath === undefined) return { ...process.env };
  let fromFile: Record<string, string> = {};
  try {
    fromFile = parseDotenv(readFileSync(dotenvPath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { ...fromFile, ...process.env };
}

/**
 * Turns the environment into validated, typed settings, or throws a ConfigError listing every
 * bad setting by name with the form it expects. Secrets are wrapped before anything can log them.
 * Sources come from SOURCES when it is set, else from the single-source settings (FTP_*,
 * SOURCE_NAME); setting both is an error. Commands that only read storage (`status`,
 * `process`) pass `{ ftpRequired: false }`: they need no FTP_HOST.
 */
export function loadSettings(
  env: Environment,
  options: { readonly ftpRequired?: boolean } = {},
): Settings {
  const read = new SettingReader(env);
  const processing = read.processing();
  const listed = readSources(read, processing);
  let sources: readonly SourceSettings[];
  if (listed === undefined) sources = [readSingleSource(read, options.ftpRequired !== false)];
  else {
    const alsoSet = singleSourceSettings.filter((name) => read.isSet(name));
    if (alsoSet.length > 0)
      read.problem(
        `SOURCES and ${alsoSet.join(', ')} are both set: with SOURCES, each source's FTP` +
          ' settings go inside it and its password in FTP_PASSWORD_<NAME>; unset the others',
      );
    sources = listed;
  }
  const settings: Settings = {
    sources,
    storage: read.storage(),
    incomingContainer: read.matching(
      'INCOMING_CONTAINER',
      'incoming',
      containerPattern,
      containerForm,
    ),
    processedContainer: read.matching(
      'PROCESSED_CONTAINER',
      'processed',
      containerPattern,
      containerForm,
    ),
    runsContainer: read.matching('RUNS_CONTAINER', 'ingest-runs', containerPattern, containerForm),
    logLevel: read.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    functions: readFunctionsSettings(read),
    processing,
  };
  read.finish();
  return settings;
}

/** The one source of an app without SOURCES, from FTP_* and SOURCE_NAME. */
function readSingleSource(read: SettingReader, ftpRequired: boolean): SourceSettings {
  const hostForm =
    'a host name or IP address (or SOURCES, see the README, "Many vendors in one app")';
  const ftp: FtpSettings = {
    host: ftpRequired ? read.required('FTP_HOST', hostForm) : (read.optional('FTP_HOST') ?? ''),
    port: read.integer('FTP_PORT', 21, 1, 65535),
    user: read.optional('FTP_USER') ?? 'anonymous',
    password: new Secret(read.optional('FTP_PASSWORD') ?? ''),
    secure: read.oneOf('FTP_SECURE', ['false', 'explicit', 'implicit'] as const, 'false'),
    // Checked only where FTP is used: `status` and `process` must not fail on it.
    caFile: ftpRequired ? read.readableFile('FTP_CA_FILE') : read.optional('FTP_CA_FILE'),
    verifyCertificate: !read.boolean('FTP_TLS_INSECURE', false),
    root: read.optional('FTP_ROOT') ?? '/',
    include: read.list('FTP_INCLUDE'),
    exclude: read.list('FTP_EXCLUDE'),
    maxConnections: read.integer('FTP_MAX_CONNECTIONS', 4, 1, 64),
    minAgeSeconds: read.integer('FTP_MIN_AGE_SECONDS', 60, 0, 7 * 24 * 3600),
    doneSuffix: read.optional('FTP_DONE_SUFFIX'),
    timezone: read.timezone('FTP_TIMEZONE', 'UTC'),
    timeoutMs: read.integer('FTP_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
  };
  return {
    name: read.matching('SOURCE_NAME', 'default', sourceNamePattern, sourceNameForm),
    ftp,
    csvDelimiter: read.delimiter('CSV_DELIMITER', ','),
  };
}

function readFunctionsSettings(read: SettingReader): FunctionsSettings {
  const connection = read.optional('APPLICATIONINSIGHTS_CONNECTION_STRING');
  return {
    syncSchedule: readSchedule(read, 'SYNC_SCHEDULE', '0 */15 * * * *'),
    staleAfterMinutes: read.integer('SYNC_STALE_AFTER_MINUTES', 120, 1, 7 * 24 * 60),
    batchMaxFiles: read.integer('SYNC_BATCH_MAX_FILES', 200, 1, 10_000),
    batchMaxBytes: read.integer('SYNC_BATCH_MAX_MB', 256, 1, 1024 * 1024) * 1024 * 1024,
    batchesPerExecution: read.integer('SYNC_BATCHES_PER_EXECUTION', 200, 1, 5000),
    appInsightsConnectionString: connection === undefined ? undefined : new Secret(connection),
    appInsightsIdentityClientId: entraClientId(
      read.optional('APPLICATIONINSIGHTS_AUTHENTICATION_STRING'),
    ),
  };
}

/** A six-field NCRONTAB expression, as the timer trigger and source schedules take it. */
function readSchedule(read: SettingReader, name: string, fallback: string): string {
  const value = read.optional(name);
  const problem = value === undefined ? undefined : scheduleProblem(value);
  if (problem === undefined) return value ?? fallback;
  read.problem(`${name} is "${value}": ${problem}`);
  return fallback;
}

/** `ClientId=<guid>;Authorization=AAD`, the form the Functions host reads too. */
function entraClientId(authentication: string | undefined): string | undefined {
  if (authentication === undefined || !/Authorization=AAD/i.test(authentication)) return undefined;
  return /ClientId=([^;]+)/i.exec(authentication)?.[1] ?? '';
}

const containerPattern = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const containerForm = 'a container name: 3-63 lowercase letters, digits and single hyphens';
