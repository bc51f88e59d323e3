import { readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { IngestError } from '../errors/IngestError.js';
import iconv from 'iconv-lite';
import { FormatConfigError, parseFormatCatalog, type FormatCatalog } from '../records/formats.js';
import { Secret, registerSecret } from './Secret.js';

/** `false`: plain FTP; `explicit`: AUTH TLS on the control port; `implicit`: TLS from the start. */
export type FtpSecureMode = 'false' | 'explicit' | 'implicit';

/** How to reach one vendor's FTP server. */
export interface FtpSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: Secret;
  readonly secure: FtpSecureMode;
  /** PEM file of a private CA to trust for FTPS. Default: the system's trust store only. */
  readonly caFile?: string;
  /** Certificate validation for FTPS. Default on; off only with `FTP_TLS_INSECURE=true`. */
  readonly verifyCertificate: boolean;
  /** Remote folder whose tree is synced. Default `/`. */
  readonly root: string;
  /** Globs on paths relative to the root; empty means everything. */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Connections open at once to this server. Default 4. */
  readonly maxConnections: number;
  /** A file younger than this (by server time) is left for a later run. Default 60. */
  readonly minAgeSeconds: number;
  /** When set, `x.csv` moves only once `x.csv<suffix>` exists. Default off. */
  readonly doneSuffix?: string;
  /** IANA zone of the server's clock, for LIST times. Default `UTC`. */
  readonly timezone: string;
  /** Control and data socket timeout. Default 30 s. */
  readonly timeoutMs: number;
}

/** One vendor: a name that prefixes its blobs, its server, and how to read its files. */
export interface SourceSettings {
  readonly name: string;
  readonly ftp: FtpSettings;
  /** Delimiter for the first-version CSV processing. Default `,`. */
  readonly csvDelimiter: string;
}

/** Blob Storage reached by connection string (Azurite, keys) or by managed identity. */
export type StorageConnection =
  | { readonly kind: 'connectionString'; readonly name: string; readonly value: Secret }
  | {
      readonly kind: 'identity';
      readonly name: string;
      readonly serviceUri: string;
      readonly clientId?: string;
    };

/** How the record processor reads files; see docs/record-processing.md. */
export interface ProcessingSettings {
  /** From SOURCE_FORMATS (JSON, or a path to a JSON file). Default: one sniffed CSV format. */
  readonly formats: FormatCatalog;
  /** Longest record accepted. Default 1 MiB. */
  readonly maxRecordBytes: number;
  /** Fail a file whose share of rejected records is above this. Default off. */
  readonly maxRejectRatio?: number;
  /** Encoding tried when bytes are not UTF-8. Default windows-1252. */
  readonly encodingFallback: string;
}

export interface Settings {
  readonly sources: readonly SourceSettings[];
  readonly storage: StorageConnection;
  readonly incomingContainer: string;
  readonly processedContainer: string;
  readonly runsContainer: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** How the Functions app schedules and batches runs; the CLI ignores it. */
  readonly functions?: FunctionsSettings;
  readonly processing: ProcessingSettings;
}

/** Settings only the Azure Functions host reads. */
export interface FunctionsSettings {
  /** NCRONTAB of the timer trigger, read by the host as `%SYNC_SCHEDULE%`. Default every 15 min. */
  readonly syncSchedule: string;
  /** A run Pending or Running longer than this is terminated by the next start. Default 120. */
  readonly staleAfterMinutes: number;
  /** Files in one transfer batch (one FTP login). Default 200. */
  readonly batchMaxFiles: number;
  /** Bytes in one transfer batch; a larger file is a batch of its own. Default 256 MiB. */
  readonly batchMaxBytes: number;
  /** Batches one orchestration execution runs before `continueAsNew`. Default 200. */
  readonly batchesPerExecution: number;
  /** Application Insights; telemetry is off when unset. */
  readonly appInsightsConnectionString?: Secret;
  /** Managed identity client id when `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` asks for Entra auth. */
  readonly appInsightsIdentityClientId?: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Every app setting this module reads, for the deployment drift check and the README. */
export const settingNames = [
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

/** Reads `.env` (when present) under the process environment, which wins. */
export function readEnvironment(dotenvPath = '.env'): Environment {
  let fromFile: Record<string, string> = {};
  try {
    fromFile = parseDotenv(readFileSync(dotenvPath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { ...fromFile, ...process.env };
}

/** Thrown with every problem found, so one run of the app shows them all. */
export class ConfigError extends IngestError {
  constructor(readonly problems: readonly string[]) {
    super('CONFIG', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * Turns the environment into validated, typed settings, or throws a ConfigError listing every
 * bad setting by name with the form it expects. Secrets are wrapped before anything can log them.
 */
export function loadSettings(env: Environment): Settings {
  const read = new SettingReader(env);
  const ftp: FtpSettings = {
    host: read.required('FTP_HOST', 'a host name or IP address'),
    port: read.integer('FTP_PORT', 21, 1, 65535),
    user: read.optional('FTP_USER') ?? 'anonymous',
    password: new Secret(read.optional('FTP_PASSWORD') ?? ''),
    secure: read.oneOf('FTP_SECURE', ['false', 'explicit', 'implicit'] as const, 'false'),
    caFile: read.optional('FTP_CA_FILE'),
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
  const source: SourceSettings = {
    name: read.matching('SOURCE_NAME', 'default', /^[a-z0-9][a-z0-9-]{0,62}$/, sourceNameForm),
    ftp,
    csvDelimiter: read.delimiter('CSV_DELIMITER', ','),
  };
  const settings: Settings = {
    sources: [source],
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
    processing: read.processing(),
  };
  read.finish();
  return settings;
}

function readFunctionsSettings(read: SettingReader): FunctionsSettings {
  const connection = read.optional('APPLICATIONINSIGHTS_CONNECTION_STRING');
  return {
    syncSchedule: read.optional('SYNC_SCHEDULE') ?? '0 */15 * * * *',
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

/** `ClientId=<guid>;Authorization=AAD`, the form the Functions host reads too. */
function entraClientId(authentication: string | undefined): string | undefined {
  if (authentication === undefined || !/Authorization=AAD/i.test(authentication)) return undefined;
  return /ClientId=([^;]+)/i.exec(authentication)?.[1] ?? '';
}

const sourceNameForm = '1-63 lowercase letters, digits or hyphens, starting with a letter or digit';
const containerPattern = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const containerForm = 'a container name: 3-63 lowercase letters, digits and single hyphens';

/** Collects problems instead of throwing at the first, so the user sees them all at once. */
class SettingReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Environment) {}

  optional(name: string): string | undefined {
    const raw = this.env[name]?.trim();
    if (raw === undefined || raw === '') return undefined;
    if (/^@Microsoft\.KeyVault\(/i.test(raw)) {
      this.problems.push(
        `${name} is still a Key Vault reference: the platform could not resolve it (check the` +
          ` app's identity has "Key Vault Secrets User" on the vault and the secret exists)`,
      );
      return undefined;
    }
    return raw;
  }

  required(name: string, form: string): string {
    const value = this.optional(name);
    if (value === undefined && !this.problems.some((p) => p.startsWith(name + ' ')))
      this.problems.push(`${name} is missing: expected ${form}`);
    return value ?? '';
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} is "${raw}": expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    this.problems.push(`${name} is "${raw}": expected true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} is "${raw}": expected one of ${allowed.join(', ')}`);
    return fallback;
  }

  matching(name: string, fallback: string, pattern: RegExp, form: string): string {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (pattern.test(raw)) return raw;
    this.problems.push(`${name} is "${raw}": expected ${form}`);
    return fallback;
  }

  list(name: string): string[] {
    const raw = this.optional(name);
    if (raw === undefined) return [];
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  delimiter(name: string, fallback: string): string {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = raw === '\\t' || raw.toLowerCase() === 'tab' ? '\t' : raw;
    if (value.length === 1 && value !== '"' && value !== '\n' && value !== '\r') return value;
    this.problems.push(`${name} is "${raw}": expected one character, or "tab"`);
    return fallback;
  }

  timezone(name: string, fallback: string): string {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: raw });
      return raw;
    } catch {
      this.problems.push(`${name} is "${raw}": expected an IANA time zone such as Europe/Berlin`);
      return fallback;
    }
  }

  /** The Azure Functions connection convention: one name, a string or identity settings. */
  storage(): StorageConnection {
    const name = this.optional('STORAGE_CONNECTION') ?? 'AzureWebJobsStorage';
    const connectionString = this.optional(name);
    if (connectionString !== undefined) {
      for (const [, key] of connectionString.matchAll(
        /(?:AccountKey|SharedAccessSignature)=([^;]+)/gi,
      ))
        registerSecret(key);
      if (!/UseDevelopmentStorage=true|AccountName=|BlobEndpoint=/i.test(connectionString))
        this.problems.push(
          `${name} is not a storage connection string: expected "UseDevelopmentStorage=true"` +
            ` or "DefaultEndpointsProtocol=https;AccountName=...;AccountKey=..."`,
        );
      return { kind: 'connectionString', name, value: new Secret(connectionString) };
    }
    const serviceUri = this.optional(`${name}__blobServiceUri`);
    const accountName = this.optional(`${name}__accountName`);
    const clientId = this.optional(`${name}__clientId`);
    if (serviceUri !== undefined) {
      if (!/^https?:\/\/[^/]+/.test(serviceUri))
        this.problems.push(
          `${name}__blobServiceUri is "${serviceUri}": expected https://<account>.blob.core.windows.net`,
        );
      return { kind: 'identity', name, serviceUri: serviceUri.replace(/\/+$/, ''), clientId };
    }
    if (accountName !== undefined)
      return {
        kind: 'identity',
        name,
        serviceUri: `https://${accountName}.blob.core.windows.net`,
        clientId,
      };
    this.problems.push(
      `${name} is missing: expected a connection string (UseDevelopmentStorage=true for Azurite),` +
        ` or ${name}__blobServiceUri / ${name}__accountName for managed identity`,
    );
    return { kind: 'identity', name, serviceUri: '' };
  }

  /** The record processor's settings; CSV_DELIMITER unset means the delimiter is sniffed. */
  processing(): ProcessingSettings {
    const fallback = this.optional('ENCODING_FALLBACK') ?? 'windows-1252';
    if (!iconv.encodingExists(fallback))
      this.problems.push(`ENCODING_FALLBACK is "${fallback}": expected an encoding label`);
    const encodingFallback = iconv.encodingExists(fallback) ? fallback : 'windows-1252';
    const configured = this.env.CSV_DELIMITER ? this.delimiter('CSV_DELIMITER', ',') : undefined;
    let json = this.optional('SOURCE_FORMATS');
    if (json !== undefined && !/^[[{]/.test(json))
      try {
        json = readFileSync(json, 'utf8');
      } catch (error) {
        this.problems.push(`SOURCE_FORMATS file "${json}" unreadable: ${(error as Error).message}`);
        json = undefined;
      }
    let formats = parseFormatCatalog(undefined, { encodingFallback });
    try {
      formats = parseFormatCatalog(json, { delimiter: configured, encodingFallback });
    } catch (error) {
      if (!(error instanceof FormatConfigError)) throw error;
      this.problems.push(...error.problems);
    }
    const ratio = this.optional('MAX_REJECT_RATIO');
    const maxRejectRatio = ratio === undefined ? undefined : Number(ratio);
    if (maxRejectRatio !== undefined && !(maxRejectRatio >= 0 && maxRejectRatio <= 1))
      this.problems.push(`MAX_REJECT_RATIO is "${ratio}": expected a number from 0 to 1`);
    return {
      formats,
      maxRecordBytes: this.integer('MAX_RECORD_BYTES', 1024 * 1024, 1024, 256 * 1024 * 1024),
      maxRejectRatio,
      encodingFallback,
    };
  }

  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
