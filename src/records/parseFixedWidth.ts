import { IngestError } from '../errors/IngestError.js';
import type { RecordFormat } from './formats.js';
import type { RowEvent } from './parseRows.js';

/** A physical line of text and its 1-based number in the file. */
export interface TextLine {
  readonly line: number;
  readonly text: string;
}

/**
 * Splits text chunks into lines at CRLF, LF or a lone CR, one batch per chunk, holding at most
 * one partial line: a line longer than `maxChars` fails with RECORD_TOO_LONG instead of growing
 * without bound.
 */
export async function* splitLines(
  text: AsyncIterable<string>,
  maxChars: number,
): AsyncGenerator<TextLine[]> {
  let buffer = '';
  let line = 1;
  let skipLf = false;
  for await (const chunk of text) {
    const lines: TextLine[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const char = chunk.charCodeAt(i);
      if (skipLf && char === 10) {
        skipLf = false;
        start = i + 1;
        continue;
      }
      skipLf = false;
      if (char !== 10 && char !== 13) continue;
      buffer += chunk.slice(start, i);
      lines.push({ line: line++, text: buffer });
      buffer = '';
      start = i + 1;
      skipLf = char === 13;
    }
    buffer += chunk.slice(start);
    if (buffer.length > maxChars)
      throw new IngestError(
        'RECORD_TOO_LONG',
        `Line ${line} is longer than MAX_RECORD_BYTES (${maxChars} characters)`,
        { line },
      );
    if (lines.length > 0) yield lines;
  }
  if (buffer !== '') yield [{ line, text: buffer }];
}

/** Cuts fixed-width lines into the layout's fields; a line too short for the layout is rejected. */
export async function* parseFixedWidth(
  text: AsyncIterable<string>,
  format: RecordFormat,
  maxRecordChars: number,
): AsyncGenerator<RowEvent[]> {
  const needed = Math.max(...format.fields.map((field) => field.start));
  let headerPending = format.header;
  for await (const lines of splitLines(text, maxRecordChars)) {
    const rows: RowEvent[] = [];
    for (const { line, text: raw } of lines) {
      const isSkipped =
        line <= format.skipRows ||
        raw.trim() === '' ||
        (format.comment !== undefined && raw.startsWith(format.comment));
      if (isSkipped) continue;
      if (headerPending) {
        headerPending = false;
        continue;
      }
      if (raw.length < needed) {
        const reason = `line has ${raw.length} characters; the layout needs at least ${needed}`;
        rows.push({ kind: 'reject', line, raw, reason });
        continue;
      }
      const fields = format.fields.map((field) => {
        const value = raw.slice(field.start - 1, field.start - 1 + field.length);
        return format.trim ? value.trim() : value;
      });
      rows.push({ kind: 'row', line, fields, raw: () => raw });
    }
    if (rows.length > 0) yield rows;
  }
}
