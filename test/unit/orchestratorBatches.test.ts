import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchFiles } from '../../src/orchestration/batchFiles.js';
import {
  Telemetry,
  disabledTelemetry,
  type TelemetryClientLike,
} from '../../src/telemetry/telemetry.js';

const sizes = (batches: { size: number }[][]) => batches.map((b) => b.map((f) => f.size));
const files = (...s: number[]) => s.map((size) => ({ size }));

describe('batchFiles', () => {
  const cases: [string, number[], number, number, number[][]][] = [
    ['nothing to move', [], 3, 100, []],
    [
      'small files share a batch up to the file limit',
      [1, 1, 1, 1, 1],
      2,
      100,
      [[1, 1], [1, 1], [1]],
    ],
    ['the byte limit closes a batch', [40, 40, 40], 10, 100, [[40, 40], [40]]],
    ['a file above the byte limit is a batch of one', [500, 10, 10], 10, 100, [[500], [10, 10]]],
    ['a large file between small ones stands alone', [10, 500, 10], 10, 100, [[10], [500], [10]]],
    ['a file exactly at the limit fits', [100, 1], 10, 100, [[100], [1]]],
  ];
  for (const [name, input, maxFiles, maxBytes, expected] of cases)
    it(name, () =>
      assert.deepEqual(sizes(batchFiles(files(...input), { maxFiles, maxBytes })), expected),
    );
});

describe('telemetry', () => {
  const recorder = () => {
    const events: {
      name: string;
      properties?: Record<string, string>;
      measurements?: Record<string, number>;
    }[] = [];
    const metrics: { name: string; value: number; properties?: Record<string, string> }[] = [];
    const client: TelemetryClientLike = {
      trackEvent: (e) => events.push(e),
      trackMetric: (m) => metrics.push(m),
      flush: () => undefined,
    };
    return { events, metrics, telemetry: new Telemetry(client) };
  };
  const scope = { runId: 'run-1', source: 'vendor', ftpPath: '/a.csv', blobName: 'vendor/a.csv' };

  it('carries run id, source, FTP path and blob name on every event and metric', () => {
    const { events, metrics, telemetry } = recorder();
    telemetry.fileTransferred(scope, 10, 5, 'transferred');
    telemetry.fileProcessed(scope, 3, 7, 'processed');
    telemetry.fileFailed(scope, 'transfer', 'FTP_NOT_FOUND', 'gone');
    assert.deepEqual(
      events.map((e) => e.name),
      ['FileTransferred', 'FileProcessed', 'FileFailed'],
    );
    for (const entry of [...events, ...metrics])
      assert.deepEqual(
        [
          entry.properties?.runId,
          entry.properties?.source,
          entry.properties?.ftpPath,
          entry.properties?.blobName,
        ],
        ['run-1', 'vendor', '/a.csv', 'vendor/a.csv'],
      );
    assert.deepEqual(
      metrics.map((m) => [m.name, m.value]),
      [
        ['ftp-ingest.bytes', 10],
        ['ftp-ingest.durationMs', 5],
        ['ftp-ingest.records', 3],
        ['ftp-ingest.durationMs', 7],
      ],
    );
  });

  it('does nothing when not configured', async () => {
    assert.equal(disabledTelemetry.enabled, false);
    disabledTelemetry.fileTransferred(scope, 1, 1, 'transferred');
    await disabledTelemetry.flush();
  });
});
