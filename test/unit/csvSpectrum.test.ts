import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultRecordFormat } from '../../src/records/formats.js';
import { collectRecords } from '../helpers/collectRecords.js';
import { sharedDataDir } from '../helpers/sharedData.js';

const data = sharedDataDir();
const corpus = data === undefined ? undefined : path.join(data, 'csv-spectrum');
const skip = corpus === undefined ? 'csv-spectrum corpus not found at ../shared/data' : false;
/**
 * The corpus's expected JSON disagrees with its own CSV here; the CSV bytes are the truth.
 * https://github.com/max-mapper/csv-spectrum/issues/20
 */
const errata: Readonly<Record<string, Record<string, string>>> = {
  location_coordinates: { 'Contact Phone Number': '2095257564' },
};
const names = corpus === undefined ? [] : readdirSync(path.join(corpus, 'csvs'));

describe('csv-spectrum conformance', { skip }, () => {
  for (const name of names) {
    const base = name.replace(/\.csv$/, '');
    for (const chunkSize of [64 * 1024, 1]) {
      it(`parses ${name} into the records of ${base}.json (chunks of ${chunkSize} bytes)`, async () => {
        const bytes = readFileSync(path.join(corpus!, 'csvs', name));
        const expected: unknown = JSON.parse(
          readFileSync(path.join(corpus!, 'json', `${base}.json`), 'utf8'),
        );
        const result = await collectRecords(bytes, defaultRecordFormat(), { chunkSize });
        assert.equal(result.error, undefined);
        const records = (Array.isArray(expected) ? expected : [expected]) as object[];
        const fixed = records.map((record) => ({ ...record, ...errata[base] }));
        assert.deepEqual(result.valid, fixed);
        assert.equal(result.counts.rejected, 0);
      });
    }
  }
});
