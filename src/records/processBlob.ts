import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobClient, ContainerClient } from '@azure/storage-blob';
import { toStorageError } from '../blob/blobService.js';
import { holdUntilReleased } from '../blob/heldLeases.js';
import { IngestError } from '../errors/IngestError.js';
import type { Logger } from '../telemetry/logger.js';
import { claimBlob, releaseClaim, stampBlob, statusOf } from './claimBlob.js';
import { formatFor, type FormatCatalog } from './formats.js';
import { processContent, resultOf } from './processContent.js';
import { processZip, type MemberResult } from './processZip.js';
import { blobSinkFactory, type SinkFactory } from './RecordSink.js';

export type { MemberResult } from './processZip.js';

/** What the processor reads from, writes to and logs with. */
export interface ProcessorDeps {
  readonly incoming: ContainerClient;
  readonly processed: ContainerClient;
  readonly log: Logger;
  readonly options: ProcessorOptions;
}

/** How files are read; see the README, "Record processing". */
export interface ProcessorOptions {
  readonly formats: FormatCatalog;
  /** Longest record accepted, in characters after decoding. Default 1 MiB. */
  readonly maxRecordBytes: number;
  /** Fail a file whose rejected/total is above this (0..1). Default off. */
  readonly maxRejectRatio?: number;
  /** A `processing` claim older than this is taken over. Default 10 minutes. */
  readonly staleClaimMs?: number;
  /** Where records go. Default: JSON Lines blobs in the processed container. */
  readonly sinks?: SinkFactory;
}

/** How one call ended: `busy` (another processor has it) and `superseded` (a newer version
 * arrived) leave the blob unstamped by this call. */
export type ProcessStatus = 'processed' | 'failed' | 'skipped' | 'superseded' | 'busy';

/** The outcome of `processBlob`, also logged. */
export interface ProcessResult {
  readonly blobName: string;
  readonly status: ProcessStatus;
  readonly recordsTotal: number;
  readonly recordsValid: number;
  readonly recordsRejected: number;
  readonly errorCode?: string;
  readonly error?: string;
  readonly members?: readonly MemberResult[];
}

const defaultStaleClaimMs = 10 * 60 * 1000;

type Finished = Omit<ProcessResult, 'blobName' | 'status'> & {
  readonly status: 'processed' | 'failed';
};

/**
 * Processes one incoming blob: claims it, streams it through decoding and parsing into the
 * outputs, and stamps the result, all conditional on the version it read. Bad data ends as
 * `failed` with a reason; transient storage faults throw (transient IngestError) for a retry.
 */
export async function processBlob(
  deps: ProcessorDeps,
  blobName: string,
  options: { readonly force?: boolean } = {},
): Promise<ProcessResult> {
  const log = deps.log.child({ blobName });
  const started = Date.now();
  const client = deps.incoming.getBlobClient(blobName);
  const claim = await claimBlob(client, {
    force: options.force === true,
    staleClaimMs: deps.options.staleClaimMs ?? defaultStaleClaimMs,
    now: new Date(),
  });
  if (claim.kind !== 'claimed') {
    const status = claim.kind === 'missing' ? 'skipped' : claim.kind;
    const errorCode = claim.kind === 'missing' ? 'BLOB_NOT_FOUND' : undefined;
    log.debug({ status, errorCode }, 'blob not processed by this call');
    return { blobName, status, recordsTotal: 0, recordsValid: 0, recordsRejected: 0, errorCode };
  }

  let stamped = false;
  const forget = holdUntilReleased(() => releaseClaim(client, claim));
  try {
    const finished = await finishedOrFailed(deps, client, claim.original, claim.etag);
    if (finished === 'changed') return superseded(blobName, log);
    stamped = await stampBlob(client, claim, {
      status: finished.status,
      recordsTotal: finished.recordsTotal,
      recordsValid: finished.recordsValid,
      recordsRejected: finished.recordsRejected,
      processedAt: new Date().toISOString(),
      processedSha256: claim.original.content_sha256,
      errorCode: finished.errorCode,
      error: finished.error,
    });
    if (!stamped) return superseded(blobName, log);
    logFinished(log, finished, started);
    return { blobName, ...finished };
  } finally {
    // A claim left behind by a transient fault would answer every retry `busy` until it goes
    // stale; after a 412 the release is refused, which is what we want.
    if (forget() && !stamped) await releaseClaim(client, claim);
  }
}

function logFinished(log: Logger, finished: Finished, started: number): void {
  const fields = { records: finished.recordsTotal, durationMs: Date.now() - started };
  if (finished.status === 'processed') log.info(fields, 'blob processed');
  else log.warn({ ...fields, errorCode: finished.errorCode, err: finished.error }, 'blob failed');
}

/**
 * The result to stamp, or `changed` when the claimed version is gone. Permanent failures (bad
 * data, a corrupt zip, a name too long, storage refusing a write) end as `failed` so they are
 * not retried forever; only transient ones throw.
 */
async function finishedOrFailed(
  deps: ProcessorDeps,
  client: BlobClient,
  metadata: Record<string, string>,
  etag: string,
): Promise<Finished | 'changed'> {
  try {
    return await processClaimed(deps, client, metadata, etag);
  } catch (error) {
    if (error instanceof SourceChanged) return 'changed';
    const failure = toStorageError(error, `Processing "${client.name}" failed`, {
      blobName: client.name,
    });
    if (failure.transient) throw failure;
    return failedWith(failure);
  }
}

/** The claimed version changed or vanished mid-download (a conditional read got 412 or 404). */
class SourceChanged extends Error {}

async function processClaimed(
  deps: ProcessorDeps,
  client: BlobClient,
  metadata: Record<string, string>,
  etag: string,
): Promise<Finished> {
  const blobName = client.name;
  const body = await downloadIfMatch(client, etag, deps.processed, deps.options.sinks);
  try {
    return await processBody(deps, blobName, metadata, body);
  } finally {
    // Parsing may stop at the first bad line; the rest of the response must not stay open.
    body.destroy();
  }
}

async function processBody(
  deps: ProcessorDeps,
  blobName: string,
  metadata: Record<string, string>,
  body: Readable,
): Promise<Finished> {
  const expectedSha = metadata.content_sha256;
  const relativePath = relativeToSource(blobName, metadata.source);
  const hash = createHash('sha256');
  const bytes = hashing(body, hash, blobName);
  const verify = () => hashMismatch(hash, expectedSha);
  const base = {
    maxRecordBytes: deps.options.maxRecordBytes,
    maxRejectRatio: deps.options.maxRejectRatio,
    sinks: deps.options.sinks ?? blobSinkFactory(deps.processed),
    sourceBlob: blobName,
    sourceSha256: expectedSha ?? 'unknown',
  };

  if (blobName.toLowerCase().endsWith('.zip')) {
    const job = { catalog: deps.options.formats, relativePath, base, verify };
    const members = await processZip(bytes, job);
    if (members instanceof IngestError) return failedWith(members);
    return summed(members);
  }
  const outcome = await processContent(bytes, {
    ...base,
    format: formatFor(deps.options.formats, relativePath),
    outputBase: blobName,
    gzip: blobName.toLowerCase().endsWith('.gz'),
    verify,
  });
  deps.log.debug({ blobName, ...outcome.report }, 'blob read');
  return resultOf(outcome);
}

/** SOURCE_FORMATS globs match the path below `<source>/`. */
function relativeToSource(blobName: string, source: string | undefined): string {
  if (source !== undefined && blobName.startsWith(source + '/'))
    return blobName.slice(source.length + 1);
  return blobName.slice(blobName.indexOf('/') + 1);
}

/**
 * Opens the claimed version. Only here do 412 and 404 mean "a newer version arrived": the same
 * statuses from an output write are storage faults, classified like any other.
 */
async function downloadIfMatch(
  client: BlobClient,
  etag: string,
  processed: ContainerClient,
  sinks: SinkFactory | undefined,
): Promise<Readable> {
  if (sinks === undefined) await ensureProcessedContainer(processed);
  try {
    const download = await client.download(0, undefined, { conditions: { ifMatch: etag } });
    return download.readableStreamBody as Readable;
  } catch (error) {
    throw isGone(error) ? new SourceChanged() : downloadError(client.name, error);
  }
}

/** Processed containers already created by this process, by URL. */
const createdContainers = new Map<string, Promise<void>>();

/**
 * Creates the processed container on first use: on fresh storage every output write would
 * otherwise fail with ContainerNotFound. Once per container per process, retried after failure.
 */
function ensureProcessedContainer(container: ContainerClient): Promise<void> {
  let created = createdContainers.get(container.url);
  if (created === undefined) {
    created = container.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        createdContainers.delete(container.url);
        throw toStorageError(error, `Creating container "${container.containerName}" failed`, {});
      },
    );
    createdContainers.set(container.url, created);
  }
  return created;
}

function isGone(error: unknown): boolean {
  return statusOf(error) === 412 || statusOf(error) === 404;
}

function downloadError(blobName: string, error: unknown): IngestError {
  return toStorageError(error, `Downloading "${blobName}" failed`, { blobName });
}

/** The SDK resumes a dropped download with the same If-Match, so a 412 can surface mid-stream. */
async function* hashing(
  bytes: AsyncIterable<Buffer>,
  hash: Hash,
  blobName: string,
): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of bytes) {
      hash.update(chunk);
      yield chunk;
    }
  } catch (error) {
    throw isGone(error) ? new SourceChanged() : downloadError(blobName, error);
  }
}

function hashMismatch(hash: Hash, expected: string | undefined): IngestError | undefined {
  const actual = hash.digest('hex');
  if (expected === undefined || actual === expected.toLowerCase()) return undefined;
  return new IngestError(
    'FILE_CHANGED',
    `Content SHA-256 is ${actual}, but content_sha256 says ${expected}: the blob is not the` +
      ' file that was transferred; transfer it again',
  );
}

function failedWith(error: IngestError): Finished {
  const counts = { recordsTotal: 0, recordsValid: 0, recordsRejected: 0 };
  return { status: 'failed', ...counts, errorCode: error.code, error: error.describe() };
}

/** A zip is processed when every member is; its counts are the members' sums. */
function summed(members: readonly MemberResult[]): Finished {
  const failed = members.find((member) => member.status === 'failed');
  return {
    status: failed === undefined ? 'processed' : 'failed',
    recordsTotal: members.reduce((sum, m) => sum + m.recordsTotal, 0),
    recordsValid: members.reduce((sum, m) => sum + m.recordsValid, 0),
    recordsRejected: members.reduce((sum, m) => sum + m.recordsRejected, 0),
    errorCode: failed?.errorCode,
    error: failed === undefined ? undefined : `member ${failed.member}: ${failed.error}`,
    members,
  };
}

function superseded(blobName: string, log: Logger): ProcessResult {
  log.info({ status: 'superseded' }, 'blob changed while processing; result not stamped');
  return { blobName, status: 'superseded', recordsTotal: 0, recordsValid: 0, recordsRejected: 0 };
}
