import { Readable } from 'node:stream';
import { parse, type CsvError, type Options } from 'csv-parse';
import { IngestError } from '../errors/IngestError.js';
import type { RecordFormat } from './formats.js';
import { sniffDialect } from './sniffDialect.js';

/** A physical row split into fields, or a row the parser could not split. */
export type RowEvent =
  | {
      readonly kind: 'row';
      readonly line: number;
      readonly fields: string[];
      /** The row's text, computed only when it is rejected (most rows never need it). */
      readonly raw: () => string;
    }
  | {
      readonly kind: 'reject';
      readonly line: number;
      readonly raw: string;
      readonly reason: string;
    };

/** Characters of text read before the delimiter is sniffed. */
const sniffWindow = 64 * 1024;

/** Parser errors that stop the file: everything else only rejects the record it is about. */
const fatalParserCodes: Readonly<Record<string, 'CSV_QUOTE' | 'RECORD_TOO_LONG'>> = {
  CSV_QUOTE_NOT_CLOSED: 'CSV_QUOTE',
  CSV_MAX_RECORD_SIZE: 'RECORD_TOO_LONG',
};

/**
 * Splits delimited text into rows with csv-parse, streaming. Line numbers are those of the
 * row's first line in the file; `raw` is the row's text without its line break.
 */
export async function* parseDelimited(
  text: AsyncIterable<string>,
  format: RecordFormat,
  maxRecordChars: number,
  onDialect: (delimiter: string) => void = () => {},
): AsyncGenerator<RowEvent> {
  const iterator = text[Symbol.asyncIterator]();
  const head: string[] = [];
  let headLength = 0;
  let ended = false;
  while (!ended && headLength < sniffWindow) {
    const next = await iterator.next();
    if (next.done) ended = true;
    else {
      head.push(next.value);
      headLength += next.value.length;
    }
  }
  const dialect = sniffDialect(head.join(''), format.delimiter, format.quote ?? undefined);
  onDialect(dialect.delimiter);

  const rejects: RowEvent[] = [];
  const fromLine = format.skipRows + (dialect.hasSepLine ? 1 : 0) + 1;
  // The line the last row ended on: an unclosed quote opened on the line after it.
  let lastRowEnd = fromLine - 1;
  const options: Options = {
    delimiter: dialect.delimiter,
    quote: format.quote,
    escape: format.escape,
    from_line: fromLine,
    comment: format.comment,
    comment_no_infix: format.comment !== undefined,
    trim: format.trim,
    relax_quotes: format.relaxQuotes,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: maxRecordChars,
    info: true,
    raw: true,
    skip_records_with_error: true,
    on_record: (record: string[], context: { lines: number }) => {
      lastRowEnd = context.lines;
      return record;
    },
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      const endLine = typeof error?.lines === 'number' ? error.lines : 0;
      const fatal = error === undefined ? undefined : fatalParserCodes[error.code];
      const line = fatal === 'CSV_QUOTE' ? lastRowEnd + 1 : endLine;
      if (fatal !== undefined)
        throw new IngestError(fatal, parserMessage(fatal, maxRecordChars, line), { line }, error);
      const reason = error?.message ?? 'unparseable row';
      rejects.push({ kind: 'reject', line, raw: lastLines(raw ?? '', 1), reason });
    },
  };
  const parser = parse(options);
  const input = Readable.from(concat(head, iterator, ended), { objectMode: false });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<ParsedItem>) {
      while (rejects.length > 0) yield rejects.shift()!;
      const breaks = item.record.reduce((sum, field) => sum + lineBreaks(field), 0);
      const raw = () => lastLines(item.raw, breaks + 1);
      yield { kind: 'row', line: item.info.lines - breaks, fields: item.record, raw };
    }
    while (rejects.length > 0) yield rejects.shift()!;
  } finally {
    input.destroy();
    parser.destroy();
  }
}

interface ParsedItem {
  readonly record: string[];
  readonly info: { readonly lines: number };
  readonly raw: string;
}

async function* concat(
  head: readonly string[],
  rest: AsyncIterator<string>,
  ended: boolean,
): AsyncGenerator<string> {
  yield* head;
  if (ended) return;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

function parserMessage(code: 'CSV_QUOTE' | 'RECORD_TOO_LONG', max: number, line: number): string {
  return code === 'CSV_QUOTE'
    ? `Quote opened in the record starting at line ${line} is never closed before end of file`
    : `Record at line ${line} is longer than MAX_RECORD_BYTES (${max} characters)`;
}

function lineBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 10 || (char === 13 && text.charCodeAt(i + 1) !== 10)) count++;
  }
  return count;
}

/**
 * csv-parse's raw text of a row can start with the tail of earlier skipped lines (comments,
 * blank lines); the row itself is its last `count` lines.
 */
function lastLines(raw: string, count: number): string {
  const lines = raw.replace(/(\r\n|\r|\n)$/, '').split(/\r\n|\r|\n/);
  return lines.slice(-count).join('\n');
}
