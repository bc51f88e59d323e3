import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from `test/` or `dist/test/`. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + import.meta.url);
    dir = parent;
  }
  return dir;
}

/** `../shared/data` beside the repository, or undefined when this checkout has no test data. */
export function sharedDataDir(): string | undefined {
  const dir = path.resolve(repoRoot(), '..', 'shared', 'data');
  return existsSync(dir) ? dir : undefined;
}

/**
 * Each real file with its data records and columns, as shared/data/MANIFEST.md gives them
 * (counted there with Python's csv module).
 */
export const realFileCounts: readonly (readonly [string, number, number])[] = [
  ['country-codes.csv', 249, 56],
  ['currency-codes-all.csv', 449, 6],
  ['sp500-constituents.csv', 503, 8],
  ['covid19-countries-aggregated.csv', 122460, 5],
  ['sec-edgar-master-20200103.idx', 7989, 5],
  ['istat-elenco-comuni-italiani-2020-utf8bom.csv', 7904, 23],
  ['dwd-produkt_klima_tag_19861001_19870131_00429.txt', 123, 19],
];

/** The SOURCE_FORMATS an operator would configure for these vendors; the CSVs use the default. */
export const realFormats = [
  {
    match: '**/*.idx',
    delimiter: '|',
    skipRows: 7,
    header: false,
    columns: [
      { name: 'CIK', type: 'integer', required: true },
      'Company Name',
      'Form Type',
      { name: 'Date Filed', type: 'date', pattern: 'YYYYMMDD' },
      'File Name',
    ],
  },
  {
    match: 'istat-*.csv',
    delimiter: ';',
    encoding: 'utf-8',
    columns: [
      {
        name: 'Popolazione legale 2011 (09/10/2011)',
        type: 'integer',
        thousandsSeparator: '.',
      },
    ],
  },
  {
    match: 'dwd-*.txt',
    delimiter: ';',
    trim: true,
    columns: [
      { name: 'MESS_DATUM', type: 'date', pattern: 'YYYYMMDD', required: true },
      { name: 'TMK', type: 'decimal', nullValues: ['-999'] },
      { name: 'UPM', type: 'decimal', nullValues: ['-999'] },
    ],
  },
];
