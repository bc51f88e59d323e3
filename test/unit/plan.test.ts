import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStable, isUnchanged } from '../../src/sync/planSync.js';
import type { RemoteFile, StoredFile } from '../../src/sync/types.js';

const now = Date.parse('2026-12-03T12:00:00Z');
const file = (modified?: string, size = 10): RemoteFile => ({ path: 'a.csv', size, modified });
const stored = (sourceModified?: string, sourceSize = 10): StoredFile => ({
  blobName: 'src/a.csv',
  etag: '"0x1"',
  sourceSize,
  sourceModified,
});

describe('planning decisions', () => {
  const stability: readonly [string, RemoteFile, number, boolean][] = [
    ['a file older than the minimum age is stable', file('2026-12-03T11:58:00.000Z'), 60, true],
    ['a file younger than the minimum age is not', file('2026-12-03T11:59:30.000Z'), 60, false],
    ['exactly the minimum age is stable', file('2026-12-03T11:59:00.000Z'), 60, true],
    [
      'a time in the future (clock skew) is not stable',
      file('2026-12-03T12:05:00.000Z'),
      60,
      false,
    ],
    [
      'a file without a server time is left to the listing state, not its age',
      file(undefined),
      60,
      true,
    ],
    ['a minimum age of zero takes everything', file('2026-12-03T12:00:00.000Z'), 0, true],
  ];
  for (const [behaviour, remote, minAge, expected] of stability)
    it(behaviour, () => assert.equal(isStable(remote, now, minAge), expected));

  const sameness: readonly [string, RemoteFile, StoredFile, boolean][] = [
    [
      'same size and time is unchanged',
      file('2026-01-01T00:00:00.000Z'),
      stored('2026-01-01T00:00:00.000Z'),
      true,
    ],
    [
      'another size is changed',
      file('2026-01-01T00:00:00.000Z', 11),
      stored('2026-01-01T00:00:00.000Z'),
      false,
    ],
    [
      'another time is changed',
      file('2026-01-01T00:00:01.000Z'),
      stored('2026-01-01T00:00:00.000Z'),
      false,
    ],
    [
      'a blob without transfer metadata is changed',
      file('2026-01-01T00:00:00.000Z'),
      stored(undefined),
      false,
    ],
  ];
  for (const [behaviour, remote, existing, expected] of sameness)
    it(behaviour, () => assert.equal(isUnchanged(remote, existing), expected));
});
