import { IngestError } from '../errors/IngestError.js';
import { decodeText, type DecodeReport } from './decodeText.js';
import type { ColumnSpec, RecordFormat } from './formats.js';
import { parseFixedWidth } from './parseFixedWidth.js';
import { parseDelimited } from './parseRows.js';
import { typeRecord, uniqueNames, type TypedRecord } from './typedRecord.js';

/** A record that did not make it, as written to `<blob>.rejected.jsonl`. */
export interface RejectedRecord {
  /** 1-based line in the original file where the record starts. */
  readonly line: number;
  /** The record's text as it appeared in the file (lines joined by LF). */
  readonly raw: string;
  readonly reason: string;
}

/** Data records seen so far; header and preamble are not records. */
export interface RecordCounts {
  total: number;
  valid: number;
  rejected: number;
}

/**
 * Where records go, one at a time; a returned promise is awaited, so a slow sink slows the read
 * (backpressure). A sink with room returns nothing: awaiting every record cost more than typing it.
 */
export interface RecordHandlers {
  valid(record: TypedRecord): Promise<void> | void;
  rejected(record: RejectedRecord): Promise<void> | void;
}

/** What was decided about a file while reading it. */
export interface ReadReport extends DecodeReport {
  delimiter?: string;
}

/**
 * Streams bytes through decoding, splitting and typing, handing each record to `handlers` and
 * counting into `counts` (so a caller still has them when a bad file throws). Bad data throws
 * an IngestError with a permanent code and the line; nothing is held beyond one record.
 */
export async function readRecords(
  bytes: AsyncIterable<Buffer>,
  format: RecordFormat,
  maxRecordChars: number,
  handlers: RecordHandlers,
  counts: RecordCounts,
  report: ReadReport = {},
): Promise<void> {
  const text = decodeText(
    bytes,
    { encoding: format.encoding, fallback: format.encodingFallback },
    report,
  );
  const rows =
    format.layout === 'fixed'
      ? parseFixedWidth(text, format, maxRecordChars)
      : parseDelimited(text, format, maxRecordChars, (d) => (report.delimiter = d));
  const schema = new Map<string, ColumnSpec>(format.columns.map((c) => [c.name, c]));
  let names = initialNames(format);

  for await (const batch of rows) {
    for (const row of batch) {
      if (row.kind === 'row' && names === undefined && format.header) {
        names = uniqueNames(row.fields);
        checkSchemaNames(schema, names);
        continue;
      }
      if (row.kind === 'row' && names === undefined) names = uniqueNames(row.fields.map(() => ''));
      counts.total++;
      const result =
        row.kind === 'reject'
          ? { ok: false as const, reason: row.reason }
          : row.fields.length !== names!.length
            ? { ok: false as const, reason: fieldCountReason(names!.length, row.fields.length) }
            : typeRecord(names!, row.fields, schema);
      let written: Promise<void> | void;
      if (result.ok) {
        counts.valid++;
        written = handlers.valid(result.record);
      } else {
        counts.rejected++;
        const raw = row.kind === 'row' ? row.raw() : row.raw;
        written = handlers.rejected({ line: row.line, raw, reason: result.reason });
      }
      if (written !== undefined) await written;
    }
  }
}

/** Column names known before reading: the fixed layout's, or configured ones without a header. */
function initialNames(format: RecordFormat): string[] | undefined {
  if (format.layout === 'fixed') return format.fields.map((field) => field.name);
  if (!format.header && format.columns.length > 0) return format.columns.map((c) => c.name);
  return undefined;
}

function checkSchemaNames(schema: ReadonlyMap<string, ColumnSpec>, header: readonly string[]) {
  const missing = [...schema.keys()].filter((name) => !header.includes(name));
  if (missing.length > 0)
    throw new IngestError(
      'FORMAT_CONFIG',
      `Header lacks schema column(s) ${missing.map((m) => `"${m}"`).join(', ')};` +
        ` header has ${header.length} columns starting ${JSON.stringify(header.slice(0, 5))}`,
      { line: 1 },
    );
}

function fieldCountReason(expected: number, found: number): string {
  return `expected ${expected} fields, found ${found}`;
}
