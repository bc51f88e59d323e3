import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { describe, it } from 'node:test';
import { asciiValue, withProcessing } from '../../src/blob/metadata.js';

describe('metadata values', () => {
  const cases: readonly [string, string, string][] = [
    ['plain ASCII stays readable', 'daily/orders 1.csv', 'daily/orders 1.csv'],
    ['percent is encoded so the value decodes exactly', '100%.csv', '100%25.csv'],
    ['accents become UTF-8 percent escapes', 'é.csv', '%C3%A9.csv'],
    ['an emoji beyond the BMP is encoded too', 'a😀b', 'a%F0%9F%98%80b'],
    ['control characters are encoded', 'a\tb\u0001', 'a%09b%01'],
  ];
  for (const [behaviour, input, expected] of cases)
    it(behaviour, () => {
      const encoded = asciiValue(input);
      assert.equal(encoded, expected);
      assert.equal(decodeURIComponent(encoded), input);
      assert.doesNotThrow(() => validateHeaderValue('x-ms-meta-source_path', encoded));
    });

  it('keeps the transfer keys and drops a stale processing key on a new stamp', () => {
    const stamped = withProcessing(
      { source: 's', content_sha256: 'abc', status: 'failed', error_code: 'ENCODING', error: 'x' },
      { status: 'processed', recordsTotal: 2, recordsValid: 2, recordsRejected: 0 },
    );
    assert.deepEqual(stamped, {
      source: 's',
      content_sha256: 'abc',
      status: 'processed',
      records_total: '2',
      records_valid: '2',
      records_rejected: '0',
    });
  });
});
