/**
 * The one error type of ftp-ingest. Every failure carries a code from a closed set; the code
 * decides whether the failure is worth retrying and becomes `error_code` in blob metadata.
 */

/** Codes whose failure may pass on its own: retried with backoff. */
const transientCodes = [
  'FTP_CONNECT',
  'FTP_BUSY',
  'FTP_TIMEOUT',
  'FTP_TRANSFER',
  'FTP_LIST',
  'BLOB_UNAVAILABLE',
  'BLOB_COMMIT',
  'SOURCE_LOCKED',
] as const;

/** Codes that will fail the same way again until someone changes a setting or a file. */
const permanentCodes = [
  'CONFIG',
  'FTP_LOGIN',
  'FTP_NOT_FOUND',
  'FTP_PERMISSION',
  'FTP_PROTOCOL',
  'FTP_TLS',
  'FILE_CHANGED',
  'FILE_NAME',
  'BLOB_CONFLICT',
  'BLOB_NOT_FOUND',
  'BLOB_REJECTED',
  'CSV_PARSE',
  'CSV_FIELD_COUNT',
  'CSV_QUOTE',
  'RECORD_TOO_LONG',
  'ENCODING',
  'NUL_BYTE',
  'ARCHIVE',
  'REJECT_RATIO',
  'FORMAT_CONFIG',
  'INTERNAL',
] as const;

export type TransientCode = (typeof transientCodes)[number];
export type PermanentCode = (typeof permanentCodes)[number];
export type ErrorCode = TransientCode | PermanentCode;

/** Every code, for documentation and for checking values read back from metadata. */
export const errorCodes: readonly ErrorCode[] = [...transientCodes, ...permanentCodes];

/** Where a failure happened; every field is optional and only what is known is set. */
export interface ErrorContext {
  readonly source?: string;
  readonly ftpPath?: string;
  readonly blobName?: string;
  readonly line?: number;
  readonly column?: number;
  readonly replyCode?: number;
  readonly setting?: string;
}

export class IngestError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'IngestError';
    this.code = code;
    this.context = context;
  }

  /** True when trying again later can succeed without anyone changing anything. */
  get transient(): boolean {
    return isTransientCode(this.code);
  }

  /** The message followed by the known context, e.g. `... (ftpPath=/in/a.csv, line=12)`. */
  describe(): string {
    const where = Object.entries(this.context)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${String(value)}`);
    return where.length === 0 ? this.message : `${this.message} (${where.join(', ')})`;
  }
}

export function isTransientCode(code: ErrorCode): code is TransientCode {
  return (transientCodes as readonly string[]).includes(code);
}

export function isIngestError(error: unknown): error is IngestError {
  return error instanceof IngestError;
}

/** A message for any thrown value, never `[object Object]`. */
export function messageOf(error: unknown): string {
  if (error instanceof IngestError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
