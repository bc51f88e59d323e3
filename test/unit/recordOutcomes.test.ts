import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultRecordFormat, parseFormatCatalog } from '../../src/records/formats.js';
import { collectRecords } from '../helpers/collectRecords.js';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
/** `head`, 40,000 lines of `x` (80 KB, past the 64 KiB look-ahead), then `tail`. */
const around80KiB = (head: Buffer, tail: Buffer) =>
  Buffer.concat([head, Buffer.from('x\n'.repeat(40_000)), tail]);
const auto = defaultRecordFormat();
const declared = (encoding: string) =>
  parseFormatCatalog(JSON.stringify([{ match: '*', encoding }]), {}).formats[0];
const fixed = parseFormatCatalog(
  JSON.stringify([
    {
      match: '*',
      layout: 'fixed',
      fields: [
        { name: 'id', start: 1, length: 3 },
        { name: 'name', start: 4, length: 5 },
      ],
    },
  ]),
  {},
).formats[0];

interface Case {
  readonly name: string;
  readonly bytes: Buffer;
  readonly format?: typeof auto;
  readonly maxRecordChars?: number;
  /** Bytes per chunk fed to the reader. Default 3, so every boundary case is crossed. */
  readonly chunkSize?: number;
  /** [total, valid, rejected] when the file is processed. */
  readonly counts?: [number, number, number];
  /** Error code (and line) when the file fails. */
  readonly fails?: [string, number?];
  readonly rejectedLines?: number[];
  readonly first?: object;
}

const cases: Case[] = [
  { name: 'CRLF line ends', bytes: hex('612c62 0d0a 312c32 0d0a'), counts: [1, 1, 0] },
  { name: 'LF line ends', bytes: hex('612c62 0a 312c32 0a 332c34'), counts: [2, 2, 0] },
  { name: 'lone CR line ends', bytes: hex('612c62 0d 312c32 0d 332c34 0d'), counts: [2, 2, 0] },
  {
    name: 'a ragged row is rejected, the rest kept',
    bytes: Buffer.from('a,b\n1,2\n3\n4,5,6\n7,8\n'),
    counts: [4, 2, 2],
    rejectedLines: [3, 4],
  },
  {
    name: 'an unterminated quote at EOF fails CSV_QUOTE',
    bytes: Buffer.from('a,b\n1,"2\n3,4\n'),
    fails: ['CSV_QUOTE', 2],
  },
  {
    name: 'bytes invalid in a declared UTF-8 fail ENCODING',
    bytes: hex('612c62 0a 312c e9 0a'),
    format: declared('utf-8'),
    fails: ['ENCODING'],
  },
  {
    name: 'a byte undefined in declared windows-1252 fails ENCODING',
    bytes: hex('612c62 0a 312c32 0a 332c 81 0a'),
    format: declared('windows-1252'),
    fails: ['ENCODING', 3],
  },
  {
    name: 'undeclared non-UTF-8 bytes fall back to windows-1252',
    bytes: hex('6e616d65 0a 4d fc 6c6c6572 0a'),
    counts: [1, 1, 0],
    first: { name: 'Müller' },
  },
  {
    name: 'UTF-8 then windows-1252 in the first 64 KiB fails ENCODING, not garbled',
    bytes: hex('6e616d65 0a 636166 c3a9 0a 636166 e9 0a'),
    fails: ['ENCODING', 3],
  },
  {
    name: 'UTF-8 then windows-1252 past 64 KiB fails ENCODING, even in one chunk',
    bytes: around80KiB(hex('6e616d65 0a 636166 c3a9 0a'), hex('636166 e9 0a')),
    chunkSize: 1024 * 1024,
    fails: ['ENCODING', 40_003],
  },
  {
    name: 'ASCII then windows-1252 past 64 KiB is windows-1252, even in one chunk',
    bytes: around80KiB(hex('6e616d65 0a'), hex('636166 e9 0a')),
    chunkSize: 1024 * 1024,
    counts: [40_001, 40_001, 0],
  },
  {
    name: 'a NUL byte fails NUL_BYTE',
    bytes: hex('612c62 0a 31 00 2c32 0a'),
    fails: ['NUL_BYTE', 2],
  },
  {
    name: 'a record longer than the limit fails RECORD_TOO_LONG',
    bytes: Buffer.from('a,b\n1,' + 'x'.repeat(5000) + '\n'),
    maxRecordChars: 1024,
    fails: ['RECORD_TOO_LONG', 2],
  },
  {
    name: 'a quoted field longer than the limit fails RECORD_TOO_LONG',
    bytes: Buffer.from('a,b\n1,"' + 'x\n'.repeat(3000) + '"\n'),
    maxRecordChars: 1024,
    fails: ['RECORD_TOO_LONG', 2],
  },
  { name: 'an empty file has no records', bytes: Buffer.alloc(0), counts: [0, 0, 0] },
  { name: 'a header-only file has no records', bytes: Buffer.from('a,b\r\n'), counts: [0, 0, 0] },
  {
    name: 'a UTF-8 BOM is not part of the header',
    bytes: hex('efbbbf 61 0a 31 0a'),
    counts: [1, 1, 0],
    first: { a: '1' },
  },
  {
    name: 'a UTF-16LE BOM decodes UTF-16',
    bytes: Buffer.concat([hex('fffe'), Buffer.from('a;b\r\n1;2\r\n', 'utf16le')]),
    counts: [1, 1, 0],
    first: { a: '1', b: '2' },
  },
  {
    name: "Excel's sep= line sets the delimiter and is not the header",
    bytes: Buffer.from('sep=|\na|b\n1,5|2\n'),
    counts: [1, 1, 0],
    first: { a: '1,5', b: '2' },
  },
  {
    name: 'a tab delimiter is sniffed',
    bytes: Buffer.from('a\tb\n1\t2\n'),
    counts: [1, 1, 0],
    first: { a: '1', b: '2' },
  },
  {
    name: 'a fixed-width line too short for the layout is rejected',
    bytes: Buffer.from('001Alice\n002\n003Bob  \n'),
    format: fixed,
    counts: [3, 2, 1],
    rejectedLines: [2],
    first: { id: '001', name: 'Alice' },
  },
];

describe('file outcomes', () => {
  for (const c of cases)
    it(c.name, async () => {
      const result = await collectRecords(c.bytes, c.format ?? auto, {
        maxRecordChars: c.maxRecordChars,
        chunkSize: c.chunkSize ?? 3,
      });
      if (c.fails !== undefined) {
        assert.equal(result.error?.code, c.fails[0], result.error?.message);
        if (c.fails[1] !== undefined) assert.equal(result.error?.line, c.fails[1]);
        return;
      }
      assert.equal(result.error, undefined, result.error?.message);
      const { total, valid, rejected } = result.counts;
      assert.deepEqual([total, valid, rejected], c.counts);
      if (c.rejectedLines)
        assert.deepEqual(
          result.rejected.map((r) => r.line),
          c.rejectedLines,
        );
      if (c.first) assert.deepEqual(result.valid[0], c.first);
    });
});
