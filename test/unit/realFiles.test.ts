import assert from 'node:assert/strict';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatFor, parseFormatCatalog } from '../../src/records/formats.js';
import { collectRecords } from '../helpers/collectRecords.js';
import { realFileCounts, realFormats, sharedDataDir } from '../helpers/sharedData.js';

const data = sharedDataDir();
const real = data === undefined ? undefined : path.join(data, 'real');
const skip = real === undefined ? 'real vendor files not found at ../shared/data/real' : false;

const realCatalog = parseFormatCatalog(JSON.stringify(realFormats), {});

describe('real vendor files', { skip }, () => {
  for (const [name, records, columns] of realFileCounts)
    it(`reads ${name} as ${records} valid records of ${columns} columns`, async (t) => {
      const file = path.join(real!, name);
      if (!existsSync(file)) return t.skip(`${name} is not in ../shared/data/real`);
      const result = await collectRecords(createReadStream(file), formatFor(realCatalog, name), {
        keep: false,
      });
      assert.equal(result.error, undefined, result.error?.message);
      assert.deepEqual(result.counts, { total: records, valid: records, rejected: 0 });
      const sample = await collectRecords(
        createReadStream(file, { end: 200_000 }),
        formatFor(realCatalog, name),
      );
      assert.equal(Object.keys(sample.valid[0] ?? {}).length, columns);
    });

  it('types EDGAR, ISTAT and DWD values by their schemas', async () => {
    const read = async (name: string) =>
      (await collectRecords(createReadStream(path.join(real!, name)), formatFor(realCatalog, name)))
        .valid;
    const edgar = (await read('sec-edgar-master-20200103.idx'))[0];
    assert.equal(edgar.CIK, 1000229);
    assert.equal(edgar['Date Filed'], '2020-01-03');
    const dwd = (await read('dwd-produkt_klima_tag_19861001_19870131_00429.txt'))[0];
    assert.deepEqual(
      [dwd.STATIONS_ID, dwd.MESS_DATUM, dwd.TMK, dwd.QN_3],
      ['429', '1986-10-01', 13.9, '-999'],
    );
    const istat = await read('istat-elenco-comuni-italiani-2020-utf8bom.csv');
    const population = istat.map((r) => r['Popolazione legale 2011 (09/10/2011)']);
    assert.ok(population.every((p) => typeof p === 'number'));
    assert.ok(population.some((p) => (p as number) > 1_000_000));
  });
});
