import type { StoredFile } from '../sync/types.js';

/** Processing states a blob moves through; see the metadata contract in the README. */
export type BlobStatus = 'transferred' | 'processing' | 'processed' | 'failed';

/** Metadata written by the transfer, in one commit with the content. */
export interface TransferMetadata {
  readonly source: string;
  readonly sourcePath: string;
  readonly sourceSize: number;
  readonly sourceModified?: string;
  readonly contentSha256: string;
  readonly ingestedAt: string;
  readonly runId: string;
}

/** Metadata written by the record processor. */
export interface ProcessingMetadata {
  readonly status: BlobStatus;
  readonly recordsTotal?: number;
  readonly recordsValid?: number;
  readonly recordsRejected?: number;
  readonly processedAt?: string;
  readonly processedSha256?: string;
  readonly errorCode?: string;
  readonly error?: string;
  /** When a processor claimed the blob (status `processing`), ISO 8601 UTC. */
  readonly processingStarted?: string;
}

export type Metadata = Record<string, string>;

/**
 * Longest encoded `source_path` accepted: the service allows 8 KiB for all metadata, and the
 * other keys need well under 1 KiB.
 */
export const maxSourcePathLength = 6 * 1024;

/** The longest `error` value kept; the full reason goes to the log and the rejects output. */
const maxErrorLength = 1024;

/**
 * Blob metadata values must be printable ASCII: everything else, and `%` itself, is
 * percent-encoded as UTF-8. Matching by code point also catches characters beyond the BMP
 * (emoji), which an HTTP header refuses.
 */
export function asciiValue(value: string): string {
  return value.replace(/[^\x20-\x24\x26-\x7e]/gu, (char) =>
    Array.from(
      Buffer.from(char, 'utf8'),
      (byte) => '%' + byte.toString(16).toUpperCase().padStart(2, '0'),
    ).join(''),
  );
}

export function transferMetadata(meta: TransferMetadata): Metadata {
  const result: Metadata = {
    source: meta.source,
    source_path: asciiValue(meta.sourcePath),
    source_size: String(meta.sourceSize),
    content_sha256: meta.contentSha256,
    ingested_at: meta.ingestedAt,
    run_id: asciiValue(meta.runId),
    status: 'transferred',
  };
  if (meta.sourceModified !== undefined) result.source_modified = meta.sourceModified;
  return result;
}

/**
 * Applies a processing stamp to existing metadata. Metadata writes replace the whole set, so
 * this keeps the transfer keys and drops stale processing keys from an earlier attempt.
 */
export function withProcessing(existing: Metadata, stamp: ProcessingMetadata): Metadata {
  const result: Metadata = {};
  for (const [key, value] of Object.entries(existing))
    if (!processingKeys.has(key)) result[key] = value;
  result.status = stamp.status;
  const optional: [string, string | number | undefined][] = [
    ['records_total', stamp.recordsTotal],
    ['records_valid', stamp.recordsValid],
    ['records_rejected', stamp.recordsRejected],
    ['processed_at', stamp.processedAt],
    ['processed_sha256', stamp.processedSha256],
    ['processing_started', stamp.processingStarted],
    ['error_code', stamp.errorCode],
    [
      'error',
      stamp.error === undefined ? undefined : asciiValue(stamp.error).slice(0, maxErrorLength),
    ],
  ];
  for (const [key, value] of optional) if (value !== undefined) result[key] = String(value);
  return result;
}

const processingKeys = new Set([
  'status',
  'records_total',
  'records_valid',
  'records_rejected',
  'processed_at',
  'processed_sha256',
  'processing_started',
  'error_code',
  'error',
]);

/** Reads the transfer half of the contract back from a listed blob. */
export function storedFileOf(blobName: string, etag: string, metadata: Metadata = {}): StoredFile {
  const size = metadata.source_size === undefined ? undefined : Number(metadata.source_size);
  return {
    blobName,
    etag,
    sourceSize: size !== undefined && Number.isSafeInteger(size) ? size : undefined,
    sourceModified: metadata.source_modified,
    contentSha256: metadata.content_sha256,
    status: metadata.status,
  };
}
