import { isAscii as nativeIsAscii } from 'node:buffer';
import iconv from 'iconv-lite';
import { countLineBreaks } from './lineBreaks.js';
import { IngestError } from '../errors/IngestError.js';

/** Bytes examined before `auto` commits to UTF-8 or the fallback. */
export const encodingLookahead = 64 * 1024;

/** How `decodeText` chooses and checks the encoding. */
export interface DecodeOptions {
  /** `auto` or a label; a declared encoding is checked strictly. */
  readonly encoding: string;
  /** Used by `auto` when the bytes are not UTF-8. */
  readonly fallback: string;
}

/** Text chunks plus what was decided, for the log and tests. */
export interface DecodeReport {
  encoding?: string;
}

type Decode = (bytes: Buffer, end: boolean) => string;

/**
 * Decodes a byte stream to text chunks without holding the file. A BOM decides the encoding;
 * a declared encoding must decode cleanly; `auto` means UTF-8 unless the bytes are not UTF-8.
 *
 * What `auto` guarantees: the file is UTF-8 up to its first invalid sequence. When every byte
 * before that sequence is ASCII (identical in both), the fallback decodes the file, so the
 * result equals decoding the whole file with the fallback; when valid non-ASCII UTF-8 came
 * before it, the file mixes encodings and fails with ENCODING rather than garble either part.
 * The first 64 KiB are held back so that a file judged in that window is decoded in one piece.
 * Decoded text containing NUL fails with NUL_BYTE: no vendor text format has it, and it marks
 * binary files or UTF-16 without a BOM.
 */
export async function* decodeText(
  bytes: AsyncIterable<Buffer>,
  options: DecodeOptions,
  report: DecodeReport = {},
): AsyncGenerator<string> {
  const lines = new LineCounter();
  const iterator = bytes[Symbol.asyncIterator]();
  // A file that fails early must still close its source, or a download's socket stays open.
  try {
    let head: Buffer = Buffer.alloc(0);
    let done = false;
    while (!done && head.length < encodingLookahead) {
      const next = await iterator.next();
      if (next.done) done = true;
      else head = Buffer.concat([head, next.value]);
    }
    const bom = bomOf(head);
    head = head.subarray(bom?.length ?? 0);
    const declared = options.encoding === 'auto' ? bom?.encoding : options.encoding;
    // Chunks arrive whole, so the head can run past the window: judge the window only, or a
    // small file's late bad byte would decide for bytes that came before it.
    const window = head.subarray(0, encodingLookahead);
    let decode: Decode;
    if (declared !== undefined) {
      report.encoding = declared;
      decode = strictDecoder(declared, lines);
    } else if (isUtf8Prefix(window, done && window.length === head.length)) {
      report.encoding = 'utf-8';
      decode = utf8ThenFallback(
        options.fallback,
        lines,
        () => (report.encoding = options.fallback),
      );
    } else if (isAsciiBeforeInvalid(window)) {
      report.encoding = options.fallback;
      decode = strictDecoder(options.fallback, lines, true);
    } else throw mixedEncodings(lines.current + lines.breaksIn(loose(window)));

    let pending: Buffer | undefined = head;
    for (;;) {
      if (pending !== undefined) {
        const text = decode(pending, done);
        if (text !== '') yield lines.checked(text);
      }
      if (done) return;
      const next = await iterator.next();
      done = next.done === true;
      pending = next.done ? Buffer.alloc(0) : next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

function bomOf(head: Buffer): { encoding: string; length: number } | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)
    return { encoding: 'utf-8', length: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

const webEncodings = new Set(['utf-8', 'utf8', 'utf-16le', 'utf-16be', 'utf16le']);

/** A decoder that fails with ENCODING on the first byte sequence invalid in `label`. */
function strictDecoder(label: string, lines: LineCounter, isFallback = false): Decode {
  const name = label.toLowerCase();
  const fail = (detail: string, line: number): never => {
    const what = isFallback ? `neither UTF-8 nor ${label}` : `not valid ${label}`;
    throw new IngestError('ENCODING', `Bytes are ${what}: ${detail} at line ${line}`, { line });
  };
  if (webEncodings.has(name)) {
    const decoder = new TextDecoder(name === 'utf16le' ? 'utf-16le' : name, {
      fatal: true,
      ignoreBOM: true,
    });
    return (bytes, end) => {
      try {
        return decoder.decode(bytes, { stream: !end });
      } catch {
        return fail('invalid sequence', lines.current + lines.breaksIn(loose(bytes)));
      }
    };
  }
  const decoder = iconv.getDecoder(label);
  return (bytes, end) => {
    const text = decoder.write(bytes) + (end ? (decoder.end() ?? '') : '');
    const bad = text.indexOf('\ufffd');
    if (bad >= 0) fail('undefined byte', lines.current + lines.breaksIn(text, bad));
    return text;
  };
}

/** UTF-8 that may switch to the fallback later, under the rule documented on `decodeText`. */
function utf8ThenFallback(fallback: string, lines: LineCounter, onSwitch: () => void): Decode {
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let carry: Buffer = Buffer.alloc(0);
  let onlyAscii = true;
  let switched: Decode | undefined;
  return (chunk, end) => {
    if (switched !== undefined) return switched(chunk, end);
    const bytes = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    const complete = end ? bytes.length : completeUtf8Length(bytes);
    carry = bytes.subarray(complete);
    try {
      const text = utf8.decode(bytes.subarray(0, complete));
      onlyAscii &&= isAscii(bytes.subarray(0, complete));
      return text;
    } catch {
      if (!onlyAscii || !isAsciiBeforeInvalid(bytes))
        throw mixedEncodings(lines.current + lines.breaksIn(loose(bytes)));
      switched = strictDecoder(fallback, lines, true);
      onSwitch();
      carry = Buffer.alloc(0);
      return switched(bytes, end);
    }
  };
}

/** True when the bytes are UTF-8, allowing a sequence cut by the end of the window. */
function isUtf8Prefix(head: Buffer, isWholeFile: boolean): boolean {
  const complete = isWholeFile ? head.length : completeUtf8Length(head);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, complete));
    return true;
  } catch {
    return false;
  }
}

function mixedEncodings(line: number): IngestError {
  return new IngestError(
    'ENCODING',
    'Bytes mix encodings: valid non-ASCII UTF-8 earlier, then an invalid sequence; ' +
      'declare the encoding for this file in SOURCE_FORMATS',
    { line },
  );
}

/**
 * True when everything before the first invalid UTF-8 sequence is ASCII, i.e. the first
 * non-ASCII byte is itself where UTF-8 breaks; `caf\xc3\xa9 ... caf\xe9` is false.
 */
function isAsciiBeforeInvalid(bytes: Buffer): boolean {
  const first = bytes.findIndex((byte) => byte >= 0x80);
  if (first < 0) return true;
  const lead = bytes[first];
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(first, first + length));
    return false;
  } catch {
    return true;
  }
}

/** Length of the prefix that ends on a character boundary (at most 3 bytes are held back). */
function completeUtf8Length(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** Node's native check: a loop over every byte here cost more than the UTF-8 decode itself. */
function isAscii(bytes: Buffer): boolean {
  return nativeIsAscii(bytes);
}

function loose(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  const bad = text.indexOf('\ufffd');
  return bad < 0 ? text : text.slice(0, bad);
}

/** Counts CRLF, LF and lone CR line breaks across chunks, for error messages. */
class LineCounter {
  current = 1;
  private endedWithCr = false;

  breaksIn(text: string, end = text.length): number {
    return countLineBreaks(text, end);
  }

  checked(text: string): string {
    const nul = text.indexOf('\u0000');
    if (nul >= 0)
      throw new IngestError('NUL_BYTE', 'File contains a NUL byte: binary or UTF-16 without BOM', {
        line: this.current + this.breaksIn(text, nul),
      });
    let breaks = this.breaksIn(text);
    if (this.endedWithCr && text.startsWith('\n')) breaks--;
    this.current += breaks;
    this.endedWithCr = text.endsWith('\r');
    return text;
  }
}
