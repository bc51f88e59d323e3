import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { typeRecord } from '../../src/records/typedRecord.js';

describe('typed records', () => {
  it('keeps columns named like object internals as ordinary data', () => {
    const result = typeRecord(['__proto__', 'constructor', 'toString'], ['1', '2', '3'], new Map());
    assert.ok(result.ok);
    assert.equal(
      JSON.stringify(result.ok ? result.record : undefined),
      '{"__proto__":"1","constructor":"2","toString":"3"}',
    );
    assert.equal(Object.getPrototypeOf(result.ok ? result.record : undefined), Object.prototype);
  });
});
