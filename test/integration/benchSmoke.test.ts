import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { renderResults, runBench } from '../../bench/bench.js';

describe('benchmark harness', () => {
  let dataDir: string | undefined;

  after(async () => {
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('measures ftp-ingest and its alternatives on a few MB and renders the table', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    const rows = await runBench({
      smoke: true,
      only: ['large', 'process'],
      dataDir,
      log: () => undefined,
    });
    const tools = rows.map((row) => row.tool);
    assert.ok(tools.includes('ftp-ingest sync'));
    assert.ok(tools.includes('wire: curl FTP → /dev/null'));
    assert.ok(tools.includes('naive: whole file in memory'));
    assert.ok(tools.includes('ftp-ingest process'));
    for (const row of rows)
      for (const sample of row.samples) {
        assert.ok(sample.wallMs > 0, `${row.tool} has no wall time`);
        assert.ok(sample.peakRss > 1024 * 1024, `${row.tool} has no peak RSS`);
        // GNU time counts in hundredths: curl on 4 MiB may take less than one.
        assert.ok(Number.isFinite(sample.cpuMs) && sample.cpuMs >= 0, `${row.tool} CPU time`);
        if (row.tool.startsWith('ftp-ingest')) assert.ok(sample.cpuMs > 0, `${row.tool} no CPU`);
        assert.ok(sample.machineBusy > 0 && sample.machineBusy <= 1, `${row.tool} busy share`);
      }
    const page = renderResults(rows, true);
    assert.match(page, /\| 1 file of 4 MiB \| ftp-ingest sync \|/);
    assert.match(page, /## Targets/);
  });
});
