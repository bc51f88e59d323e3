import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { absolutePath } from '../../src/ftp/remotePath.js';

describe('absolutePath', () => {
  const cases: ReadonlyArray<[root: string, relative: string, expected: string]> = [
    ['/', '', '/'],
    ['/', 'a.csv', '/a.csv'],
    ['/out/', 'daily/a b#%?.csv', '/out/daily/a b#%?.csv'],
    ['/out', '/daily/', '/out/daily'],
    ['', 'a.csv', 'a.csv'],
    ['outgoing', 'a.csv', 'outgoing/a.csv'],
    ['/out', '', '/out'],
    ['/', '.hidden/ünï.csv', '/.hidden/ünï.csv'],
  ];
  for (const [root, relative, expected] of cases) {
    it(`joins "${root}" and "${relative}" as "${expected}"`, () => {
      assert.equal(absolutePath(root, relative), expected);
    });
  }
});
