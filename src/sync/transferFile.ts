import { Writable } from 'node:stream';
import pRetry, { AbortError } from 'p-retry';
import type { BlockBlobClient } from '@azure/storage-blob';
import { BlockUpload } from '../blob/BlockUpload.js';
import { isConditionFailure, toStorageError } from '../blob/blobService.js';
import { transferMetadata, type Metadata } from '../blob/metadata.js';
import type { SourceSettings } from '../config/settings.js';
import { IngestError } from '../errors/IngestError.js';
import type { FtpPool } from '../ftp/FtpPool.js';
import { toIngestError } from '../ftp/ftpErrors.js';
import { absolutePath } from '../ftp/remotePath.js';
import type { Logger } from '../telemetry/logger.js';
import type { PlannedFile, TransferOutcome } from './types.js';

/** Tuning for one file's transfer. */
export interface TransferTuning {
  /** Staged block size in bytes. Default 4 MiB. */
  readonly blockSize?: number;
  /** Blocks staged at once per file. Default 4. */
  readonly blockConcurrency?: number;
  /** Download attempts after a transient fault, resuming where the last one stopped. Default 4. */
  readonly retries?: number;
  /** First backoff in milliseconds, doubling each retry. Default 500. */
  readonly retryDelayMs?: number;
  /** Called with the size of every chunk received, for progress displays. */
  readonly onBytes?: (bytes: number) => void;
}

/** A file whose bytes are all staged, hashed and counted, not yet visible. */
export interface DownloadedFile {
  readonly file: PlannedFile;
  readonly upload: BlockUpload;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Streams one remote file into staged blocks of its blob. A transient fault (reset, timeout,
 * 4xx reply) resumes with REST at the byte where the last attempt stopped, on a fresh
 * connection; a server that refuses REST gets the file again from the start.
 */
export async function downloadFile(
  pool: FtpPool,
  source: SourceSettings,
  blob: BlockBlobClient,
  file: PlannedFile,
  log: Logger,
  tuning: TransferTuning = {},
): Promise<DownloadedFile> {
  const remotePath = absolutePath(source.ftp.root, file.path);
  const context = { source: source.name, ftpPath: remotePath, blobName: file.blobName };
  const newUpload = () =>
    new BlockUpload(blob, {
      expectedSize: file.size,
      blockSize: tuning.blockSize,
      concurrency: tuning.blockConcurrency,
    });
  let upload = newUpload();
  await pRetry(
    async () => {
      await upload.settle();
      const startAt = upload.bytes;
      try {
        await pool.use((client) =>
          client.downloadTo(new UploadWriter(upload, tuning.onBytes), remotePath, startAt),
        );
      } catch (error) {
        if (upload.failure !== undefined) throw new AbortError(upload.failure as Error);
        const failure = toIngestError(error, context);
        // A resumed download the server refused (no REST support): start over, once per fault.
        if (startAt > 0 && !failure.transient) upload = newUpload();
        else if (!failure.transient) throw new AbortError(failure);
        throw failure;
      }
      // A server sends "226 Transfer complete" once its last bytes are in the socket buffer, so
      // a data link cut after that ends the download short with no error at all. Resume while
      // bytes keep coming; a file that really shrank stops giving any, and fails below.
      await upload.settle();
      if (upload.bytes < file.size && upload.bytes > startAt)
        throw new IngestError(
          'FTP_TRANSFER',
          `Download of ${remotePath} ended at byte ${upload.bytes} of ${file.size} without an` +
            ' error: resuming',
          context,
        );
    },
    {
      retries: tuning.retries ?? 4,
      minTimeout: tuning.retryDelayMs ?? 500,
      factor: 2,
      onFailedAttempt: (error) =>
        log.warn(
          { ...context, err: error, attempt: error.attemptNumber, resumeAt: upload.bytes },
          'download interrupted, retrying',
        ),
    },
  );
  const digest = await upload.finish();
  if (digest.bytes !== file.size)
    throw new IngestError(
      'FILE_CHANGED',
      `Received ${digest.bytes} bytes but the listing said ${file.size}: the file changed during` +
        ' transfer; nothing was committed and the next run will pick it up',
      context,
    );
  return { file, upload, ...digest };
}

/** The committed result of a downloaded file. */
export interface CommitResult {
  readonly outcome: Exclude<TransferOutcome, 'failed'>;
  readonly etag: string;
}

/**
 * Makes the file visible, or records that it did not need to be. The commit is conditional on
 * the blob the plan saw (absent, or its ETag), so a run that lost a race never overwrites a
 * newer commit; a retried commit that had in fact landed is recognised by its hash.
 */
export async function commitFile(
  blob: BlockBlobClient,
  downloaded: DownloadedFile,
  source: SourceSettings,
  runId: string,
  now: Date,
): Promise<CommitResult> {
  const { file, sha256, bytes } = downloaded;
  const context = { source: source.name, ftpPath: file.path, blobName: file.blobName };
  const metadata = transferMetadata({
    source: source.name,
    sourcePath: file.path,
    sourceSize: bytes,
    sourceModified: file.modified,
    contentSha256: sha256,
    ingestedAt: now.toISOString(),
    runId,
  });
  try {
    if (file.storedSha256 === sha256 && file.storedEtag !== undefined)
      return { outcome: 'touched', etag: await touch(blob, file, file.storedEtag) };
    const conditions =
      file.storedEtag === undefined ? { ifNoneMatch: '*' } : { ifMatch: file.storedEtag };
    const etag = await downloaded.upload.commit(metadata, conditions, {
      blobContentType: contentTypeOf(file.path),
    });
    return { outcome: 'transferred', etag };
  } catch (error) {
    if (!isConditionFailure(error))
      throw toStorageError(error, 'Committing the blob failed', context);
    const current = await blob.getProperties().catch(() => undefined);
    if (current?.metadata?.content_sha256 === sha256)
      return { outcome: 'transferred', etag: current.etag ?? '' };
    throw new IngestError(
      'BLOB_CONFLICT',
      'The blob was changed by someone else after planning; not overwritten, the next run re-plans it',
      context,
      error,
    );
  }
}

/**
 * Same bytes, new server time: only the recorded time changes. Setting metadata fires no
 * BlobCreated event, and `processed_sha256` still matches, so processing does not run twice.
 */
async function touch(blob: BlockBlobClient, file: PlannedFile, etag: string): Promise<string> {
  const properties = await blob.getProperties({ conditions: { ifMatch: etag } });
  const metadata: Metadata = { ...properties.metadata, source_size: String(file.size) };
  if (file.modified !== undefined) metadata.source_modified = file.modified;
  const response = await blob.setMetadata(metadata, { conditions: { ifMatch: etag } });
  return response.etag ?? '';
}

/**
 * The writable end basic-ftp downloads into. basic-ftp ends its destination after every
 * attempt, so each attempt gets its own writer and the upload outlives them all.
 */
class UploadWriter extends Writable {
  constructor(
    private readonly upload: BlockUpload,
    private readonly onBytes?: (bytes: number) => void,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    this.onBytes?.(chunk.length);
    this.upload.write(chunk).then(() => done(), done);
  }
}

const contentTypes: Readonly<Record<string, string>> = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  txt: 'text/plain',
  json: 'application/json',
  xml: 'application/xml',
  gz: 'application/gzip',
  zip: 'application/zip',
};

function contentTypeOf(path: string): string {
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return contentTypes[extension] ?? 'application/octet-stream';
}
