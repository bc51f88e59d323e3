import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { IngestError, isIngestError, type ErrorCode } from '../errors/IngestError.js';
import type { RecordFormat } from './formats.js';
import { readRecords, type ReadReport, type RecordCounts } from './readRecords.js';
import type { RecordSink, SinkFactory, SinkTarget } from './RecordSink.js';

/** How one stream of content (a blob, or a member of a zip) ended. */
export interface ContentOutcome {
  readonly status: 'processed' | 'failed';
  readonly counts: RecordCounts;
  readonly errorCode?: ErrorCode;
  readonly error?: string;
  readonly report: ReadReport;
}

/** An outcome in the shape results and stamps report it. */
export function resultOf(outcome: ContentOutcome) {
  return {
    status: outcome.status,
    recordsTotal: outcome.counts.total,
    recordsValid: outcome.counts.valid,
    recordsRejected: outcome.counts.rejected,
    errorCode: outcome.errorCode,
    error: outcome.error,
  };
}

/** Everything `processContent` needs besides the bytes. */
export interface ContentJob {
  readonly format: RecordFormat;
  readonly maxRecordBytes: number;
  readonly maxRejectRatio?: number;
  readonly sinks: SinkFactory;
  /** Outputs are `<outputBase>.jsonl` and `<outputBase>.rejected.jsonl`. */
  readonly outputBase: string;
  readonly sourceBlob: string;
  readonly sourceSha256: string;
  readonly gzip: boolean;
  /** Called after the last byte: a data problem found only at the end (a hash mismatch). */
  readonly verify?: () => IngestError | undefined;
}

/**
 * Reads one stream into the valid and rejected outputs. Bad data ends as a `failed` outcome
 * (valid output removed, rejects seen so far kept); transient faults abort both and throw.
 * Valid output exists only for processed content; the rejects output only when there are rejects.
 */
export async function processContent(
  bytes: AsyncIterable<Buffer>,
  job: ContentJob,
): Promise<ContentOutcome> {
  const counts: RecordCounts = { total: 0, valid: 0, rejected: 0 };
  const report: ReadReport = {};
  const target = (kind: SinkTarget['kind']): SinkTarget => ({
    kind,
    outputName: `${job.outputBase}${kind === 'valid' ? '.jsonl' : '.rejected.jsonl'}`,
    sourceBlob: job.sourceBlob,
    sourceSha256: job.sourceSha256,
  });
  const valid = job.sinks.create(target('valid'));
  let rejected: RecordSink | undefined;
  await valid.open();
  const handlers = {
    valid: (record: object) => valid.write(record),
    rejected: async (record: object) => {
      if (rejected === undefined) {
        rejected = job.sinks.create(target('rejected'));
        await rejected.open();
      }
      await rejected.write(record);
    },
  };

  let failure: IngestError | undefined;
  try {
    const input = job.gzip ? gunzip(bytes) : bytes;
    await readRecords(input, job.format, job.maxRecordBytes, handlers, counts, report);
    failure = job.verify?.() ?? rejectRatioFailure(counts, job.maxRejectRatio);
  } catch (error) {
    if (!isIngestError(error) || error.transient) {
      await Promise.all([valid.abort(error), rejected?.abort(error)]);
      throw error;
    }
    failure = error;
  }

  if (failure === undefined) await valid.close();
  else await valid.abort(failure).then(() => job.sinks.remove(target('valid')));
  if (rejected !== undefined) await rejected.close();
  else await job.sinks.remove(target('rejected'));
  if (failure === undefined) return { status: 'processed', counts, report };
  return {
    status: 'failed',
    counts,
    report,
    errorCode: failure.code,
    error: failure.describe(),
  };
}

function rejectRatioFailure(counts: RecordCounts, max: number | undefined) {
  if (max === undefined || counts.total === 0) return undefined;
  const ratio = counts.rejected / counts.total;
  if (ratio <= max) return undefined;
  return new IngestError(
    'REJECT_RATIO',
    `${counts.rejected} of ${counts.total} records rejected (${(ratio * 100).toFixed(1)}%),` +
      ` above MAX_REJECT_RATIO ${max}; see the .rejected.jsonl output`,
  );
}

/** Gunzips while streaming; a corrupt or truncated gzip is bad data (ARCHIVE), not a retry. */
async function* gunzip(bytes: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const source = Readable.from(bytes);
  const unzip = createGunzip();
  source.on('error', (error) => unzip.destroy(error));
  source.pipe(unzip);
  try {
    for await (const chunk of unzip as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_'))
      throw new IngestError('ARCHIVE', `Gzip data is corrupt: ${(error as Error).message}`);
    throw error;
  } finally {
    source.destroy();
    unzip.destroy();
  }
}
