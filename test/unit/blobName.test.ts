import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IngestError } from '../../src/errors/IngestError.js';
import { blobNameFor, remotePathOf } from '../../src/naming/blobName.js';

describe('blob names', () => {
  const cases: readonly [string, string, string][] = [
    [
      'a plain path keeps its folders',
      'daily/2026-12-01/orders.csv',
      'src/daily/2026-12-01/orders.csv',
    ],
    ['spaces, unicode, # and ? stay literal', 'a b/Ünï #1?.csv', 'src/a b/Ünï #1?.csv'],
    ['a leading dot stays', '.hidden/.env.csv', 'src/.hidden/.env.csv'],
    ['percent is encoded so decoding is exact', '100%/x%41.csv', 'src/100%25/x%2541.csv'],
    ['a backslash is encoded, not a separator', 'dir\\file.csv', 'src/dir%5Cfile.csv'],
    ['control characters are encoded', 'bad\u0001name\n.csv', 'src/bad%01name%0A.csv'],
    [
      'a ".." segment cannot climb out of the source',
      '../../etc/passwd',
      'src/%2E%2E/%2E%2E/etc/passwd',
    ],
    ['a "." segment is kept as a name', './x.csv', 'src/%2E/x.csv'],
    ['a trailing dot is encoded (the service strips it)', 'report.', 'src/report%2E'],
    ['leading and doubled slashes collapse', '//in//a.csv', 'src/in/a.csv'],
  ];
  for (const [behaviour, remote, expected] of cases)
    it(behaviour, () => {
      const name = blobNameFor('src', remote);
      assert.equal(name, expected);
      assert.ok(name.startsWith('src/'));
      assert.equal(remotePathOf('src', name), remote.split('/').filter(Boolean).join('/'));
    });

  it('refuses a name longer than Blob Storage allows, naming the limit', () => {
    assert.throws(
      () => blobNameFor('src', 'x'.repeat(1100)),
      (error: unknown) =>
        error instanceof IngestError &&
        error.code === 'FILE_NAME' &&
        /1024 characters/.test(error.message),
    );
  });

  it('refuses an empty path', () => {
    assert.throws(() => blobNameFor('src', '///'), /empty/);
  });

  it('refuses to map back a blob of another source', () => {
    assert.throws(() => remotePathOf('src', 'other/a.csv'), /not under source prefix/);
  });
});
