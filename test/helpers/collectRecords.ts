import { Readable } from 'node:stream';
import type { RecordFormat } from '../../src/records/formats.js';
import {
  readRecords,
  type ReadReport,
  type RecordCounts,
  type RejectedRecord,
} from '../../src/records/readRecords.js';
import type { TypedRecord } from '../../src/records/typedRecord.js';

/** Everything `readRecords` produced for some bytes, kept in memory: for small test inputs only. */
export interface Collected {
  readonly counts: RecordCounts;
  readonly valid: TypedRecord[];
  readonly rejected: RejectedRecord[];
  readonly report: ReadReport;
  readonly error?: { code: string; message: string; line?: number };
}

/** Runs the record reader over a buffer (fed in `chunkSize` pieces) or a byte stream. */
export async function collectRecords(
  input: Buffer | Readable,
  format: RecordFormat,
  options: { maxRecordChars?: number; chunkSize?: number; keep?: boolean } = {},
): Promise<Collected> {
  const counts: RecordCounts = { total: 0, valid: 0, rejected: 0 };
  const valid: TypedRecord[] = [];
  const rejected: RejectedRecord[] = [];
  const report: ReadReport = {};
  const keep = options.keep ?? true;
  const bytes = Buffer.isBuffer(input) ? chunked(input, options.chunkSize ?? 64 * 1024) : input;
  try {
    await readRecords(
      bytes as AsyncIterable<Buffer>,
      format,
      options.maxRecordChars ?? 1024 * 1024,
      {
        valid: async (record) => void (keep && valid.push(record)),
        rejected: async (record) => void rejected.push(record),
      },
      counts,
      report,
    );
    return { counts, valid, rejected, report };
  } catch (error) {
    const e = error as { code: string; message: string; context?: { line?: number } };
    return {
      counts,
      valid,
      rejected,
      report,
      error: { code: e.code, message: e.message, line: e.context?.line },
    };
  }
}

function chunked(buffer: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) pieces.push(buffer.subarray(i, i + size));
  return Readable.from(pieces);
}
