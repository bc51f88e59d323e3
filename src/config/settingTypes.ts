import type { FormatCatalog } from '../records/formats.js';
import type { Secret } from './Secret.js';

/** `false`: plain FTP; `explicit`: AUTH TLS on the control port; `implicit`: TLS from the start. */
export type FtpSecureMode = 'false' | 'explicit' | 'implicit';

/** How to reach one vendor's FTP server. */
export interface FtpSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: Secret;
  /**
   * Why this source cannot log in, found at start: with SOURCES, a missing or unresolved
   * password setting, or an unreadable `caFile`. Every login of this source then fails with
   * CONFIG saying so, and the other sources still run.
   */
  readonly loginProblem?: string;
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
  /**
   * NCRONTAB (six fields, with seconds) of this source's runs, evaluated on each timer tick.
   * Default: due on every tick of `SYNC_SCHEDULE`.
   */
  readonly schedule?: string;
  /** This source's record formats. Default: the global SOURCE_FORMATS catalog. */
  readonly formats?: FormatCatalog;
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

/** How the record processor reads files; see the README, "Record processing". */
export interface ProcessingSettings {
  /** From SOURCE_FORMATS (JSON, or a path to a JSON file). Default: one sniffed CSV format. */
  readonly formats: FormatCatalog;
  /** Longest record accepted. Default 1 MiB. */
  readonly maxRecordBytes: number;
  /** Fail a file whose share of rejected records is above this. Default off. */
  readonly maxRejectRatio?: number;
  /** Encoding tried when bytes are not UTF-8. Default windows-1252. */
  readonly encodingFallback: string;
  /** CSV_DELIMITER when set; unset means the default format sniffs the delimiter. */
  readonly csvDelimiter?: string;
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
