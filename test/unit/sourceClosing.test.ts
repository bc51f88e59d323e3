import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultRecordFormat, parseFormatCatalog } from '../../src/records/formats.js';
import { readRecords, type RecordCounts } from '../../src/records/readRecords.js';

const utf8 = parseFormatCatalog(JSON.stringify([{ match: '*', encoding: 'utf-8' }]), {}).formats[0];

/** A source that never ends on its own, so only the reader giving it back can close it. */
function endlessSource(first: Buffer) {
  const state = { closed: false };
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      yield first;
      for (;;) yield Buffer.from('1,2\n'.repeat(1024));
    } finally {
      state.closed = true;
    }
  }
  return { bytes: chunks(), state };
}

const cases = [
  {
    name: 'an invalid byte in declared UTF-8 (ENCODING)',
    first: Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x2c, 0xe9, 0x0a]),
    format: utf8,
    maxRecordChars: 1 << 20,
    code: 'ENCODING',
  },
  {
    name: 'a record longer than the limit (RECORD_TOO_LONG)',
    first: Buffer.from('a,b\n1,' + 'x'.repeat(100_000) + '\n'),
    format: defaultRecordFormat(),
    maxRecordChars: 1024,
    code: 'RECORD_TOO_LONG',
  },
  {
    name: 'a NUL byte (NUL_BYTE)',
    first: Buffer.from('a,b\n1\u0000,2\n'),
    format: defaultRecordFormat(),
    maxRecordChars: 1 << 20,
    code: 'NUL_BYTE',
  },
];

describe('closing the source when a file fails early', () => {
  for (const c of cases)
    it(`closes the byte source after ${c.name}`, async () => {
      const { bytes, state } = endlessSource(c.first);
      const counts: RecordCounts = { total: 0, valid: 0, rejected: 0 };
      const handlers = { valid: () => undefined, rejected: () => undefined };
      await assert.rejects(readRecords(bytes, c.format, c.maxRecordChars, handlers, counts), {
        code: c.code,
      });
      assert.equal(state.closed, true, 'source left open');
    });
});
