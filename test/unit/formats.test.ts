import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatConfigError, formatFor, parseFormatCatalog } from '../../src/records/formats.js';

const problemsOf = (json: string): readonly string[] => {
  try {
    parseFormatCatalog(json, {});
  } catch (error) {
    if (error instanceof FormatConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('SOURCE_FORMATS', () => {
  it('names every invalid field by its path', () => {
    const problems = problemsOf(
      JSON.stringify([
        { match: '*.csv' },
        { match: '*.txt', delimiter: ';;' },
        { match: '*.dat', columns: [{ name: 'x', type: 'money' }], encoding: 'klingon' },
        { match: '*.fw', layout: 'fixed', typo: 1 },
      ]),
    );
    const paths = problems.map((p) => p.split(':')[0]).sort();
    assert.deepEqual(paths, [
      'SOURCE_FORMATS[1].delimiter',
      'SOURCE_FORMATS[2].columns[0].type',
      'SOURCE_FORMATS[2].encoding',
      'SOURCE_FORMATS[3]',
      'SOURCE_FORMATS[3].fields',
    ]);
  });

  it('reports text that is not JSON', () => {
    assert.match(problemsOf('[{')[0], /not JSON/);
  });

  it('picks the first matching glob, ignoring .gz, else the default', () => {
    const catalog = parseFormatCatalog(
      JSON.stringify([
        { match: 'edgar/**/*.idx', delimiter: '|' },
        { match: ['*.csv', '**/*.csv'], delimiter: 'tab' },
      ]),
      { delimiter: ';' },
    );
    assert.equal(formatFor(catalog, 'edgar/2020/master.idx.gz').delimiter, '|');
    assert.equal(formatFor(catalog, 'deep/down/x.csv').delimiter, '\t');
    assert.equal(formatFor(catalog, 'other.txt').delimiter, ';');
    assert.equal(formatFor(parseFormatCatalog(undefined, {}), 'a.csv').delimiter, undefined);
  });
});
