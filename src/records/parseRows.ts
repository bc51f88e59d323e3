import { finished } from 'node:stream/promises';
import { Parser, type CsvError, type Options } from 'csv-parse';
import { IngestError } from '../errors/IngestError.js';
import type { RecordFormat } from './formats.js';
import { LineBreakCounter } from './lineBreaks.js';
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
 * Splits delimited text into rows with csv-parse, streaming, one batch of rows per text chunk:
 * per-record async iteration cost more than the parsing itself. Line numbers are those of the
 * row's first line in the file; `raw` is the row's text without its line break, cut from the
 * recent text only when asked for, because csv-parse's own `raw` and `info` options copy every
 * byte and build two objects per record.
 */
export async function* parseDelimited(
  text: AsyncIterable<string>,
  format: RecordFormat,
  maxRecordChars: number,
  onDialect: (delimiter: string) => void = () => {},
): AsyncGenerator<RowEvent[]> {
  const iterator = text[Symbol.asyncIterator]();
  // Stopping early (a fatal row, or the caller giving up) must close the text source too.
  try {
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

    const recent = new RecentText();
    let batch: RowEvent[] = [];
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
      skip_records_with_error: true,
      on_skip: (error: CsvError | undefined) => {
        const endLine = typeof error?.lines === 'number' ? error.lines : 0;
        const fatal = error === undefined ? undefined : fatalParserCodes[error.code];
        // csv-parse reports where it stopped; a quoted record may have started far before.
        const line = fatal === undefined ? endLine : lastRowEnd + 1;
        if (fatal !== undefined)
          throw new IngestError(
            fatal,
            parserMessage(fatal, maxRecordChars, line, endLine),
            { line },
            error,
          );
        const reason = error?.message ?? 'unparseable row';
        batch.push({ kind: 'reject', line, raw: recent.lines(endLine, endLine), reason });
      },
    };
    const parser = new RowParser(options, (fields, endLine) => {
      lastRowEnd = endLine;
      const breaks = fieldLineBreaks(fields);
      const line = endLine - breaks;
      batch.push({ kind: 'row', line, fields, raw: () => recent.lines(line, endLine) });
    });
    try {
      for await (const chunk of concat(head, iterator, ended)) {
        recent.add(chunk, lastRowEnd);
        await parser.feed(chunk);
        if (batch.length === 0) continue;
        yield batch;
        batch = [];
      }
      await parser.conclude();
      if (batch.length > 0) yield batch;
    } finally {
      parser.destroy();
    }
  } finally {
    await iterator.return?.();
  }
}

/**
 * csv-parse's stream, fed by hand: each record arrives through `push` while `feed` writes its
 * chunk, so a whole chunk's rows are known when the write completes. `info.lines` is read at
 * that moment: it is the line the record ended on.
 */
class RowParser extends Parser {
  constructor(
    options: Options,
    private readonly onRow: (fields: string[], endLine: number) => void,
  ) {
    super(options);
    // Failures reach the caller through `feed` and `conclude`; this only keeps them off the
    // process's uncaught-error path.
    this.on('error', () => undefined);
  }

  override push(record: unknown): boolean {
    if (record === null) return super.push(null);
    this.onRow(record as string[], this.info.lines);
    return true;
  }

  feed(chunk: string): Promise<void> {
    return new Promise((done, fail) =>
      this.write(chunk, (error) => (error ? fail(error) : done())),
    );
  }

  async conclude(): Promise<void> {
    this.end();
    await finished(this, { readable: false });
  }
}

/**
 * The text since the row in progress began, so a rejected row's raw text can be cut out of it
 * by line numbers; older chunks are dropped as rows complete.
 */
class RecentText {
  readonly #chunks: { text: string; firstLine: number }[] = [];
  readonly #counter = new LineBreakCounter();
  /** The held text split into lines, made on the first reject after a change. */
  #split?: string[];

  add(text: string, lastRowEnd: number): void {
    const firstLine = this.#counter.line;
    this.#counter.count(text);
    // A chunk that ends before the last completed row holds no line a later row can need.
    while (this.#chunks.length > 0 && this.#endLineOf(0) < lastRowEnd) this.#chunks.shift();
    this.#chunks.push({ text, firstLine });
    this.#split = undefined;
  }

  /** Lines `from`..`to` joined by LF, as far as they are still held. */
  lines(from: number, to: number): string {
    const first = this.#chunks[0];
    if (first === undefined) return '';
    this.#split ??= this.#chunks
      .map((chunk) => chunk.text)
      .join('')
      .split(/\r\n|\r|\n/);
    const start = Math.max(0, from - first.firstLine);
    return this.#split.slice(start, to - first.firstLine + 1).join('\n');
  }

  #endLineOf(index: number): number {
    const next = this.#chunks[index + 1];
    return next === undefined ? this.#counter.line : next.firstLine;
  }
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

function parserMessage(
  code: 'CSV_QUOTE' | 'RECORD_TOO_LONG',
  max: number,
  line: number,
  endLine: number,
): string {
  if (code === 'CSV_QUOTE')
    return `Quote opened in the record starting at line ${line} is never closed before end of file`;
  const reach = endLine > line ? ` (it reached line ${endLine}: an unclosed quote?)` : '';
  return `Record starting at line ${line} is longer than MAX_RECORD_BYTES (${max} characters)${reach}`;
}

/** Line breaks inside a row's quoted fields; a native search first, since most rows have none. */
function fieldLineBreaks(fields: readonly string[]): number {
  let count = 0;
  for (const field of fields) {
    if (field.indexOf('\n') < 0 && field.indexOf('\r') < 0) continue;
    for (let i = 0; i < field.length; i++) {
      const char = field.charCodeAt(i);
      if (char === 10 || (char === 13 && field.charCodeAt(i + 1) !== 10)) count++;
    }
  }
  return count;
}
