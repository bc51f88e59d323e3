import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DurableOrchestrationStatus } from 'durable-functions';
import { loadSettings } from '../../src/config/settings.js';
import { startDueSources } from '../../src/orchestration/startDueSources.js';
import type { StarterClient } from '../../src/orchestration/startSync.js';
import { isDue, nextDue, tickWindow } from '../../src/sync/sourceSchedule.js';
import { Logger } from '../../src/telemetry/logger.js';

// Which sources a timer tick starts, and that starting one never waits on another.

const at = (iso: string) => new Date(`2026-03-02T${iso}Z`);

describe('source schedules', () => {
  const cases: ReadonlyArray<readonly [string | undefined, string, string, boolean]> = [
    ['0 0 6 * * *', '05:55:00', '06:00:00.300', true],
    ['0 0 6 * * *', '06:00:00.300', '06:05:00.200', false],
    ['0 0 6 * * *', '06:00:00', '06:05:00', false],
    ['0 0 6 * * *', '05:55:00', '06:00:00', true],
    ['0 */10 * * * *', '06:00:00', '06:05:00', false],
    ['0 */10 * * * *', '06:05:00', '06:10:01', true],
    ['0 0 6 * * 1-5', '05:00:00', '07:00:00', true],
    [undefined, '06:00:00', '06:05:00', true],
  ];
  for (const [schedule, from, to, expected] of cases)
    it(`${expected ? 'starts' : 'skips'} "${schedule ?? 'no schedule'}" in (${from}, ${to}]`, () => {
      assert.equal(isDue({ schedule }, { from: at(from), to: at(to) }), expected);
    });

  it('covers a tick from the previous firing the host reports', () => {
    const window = tickWindow(at('06:05:00.250'), '2026-03-02T06:00:00.000Z', '0 */5 * * * *');
    assert.deepEqual([window.from, window.to], [at('06:00:00'), at('06:05:00.250')]);
  });

  it('covers the timer interval before the firing when the host reports none', () => {
    const window = tickWindow(at('06:05:00.250'), undefined, '0 */5 * * * *');
    assert.deepEqual([window.from, window.to], [at('06:00:00'), at('06:05:00.250')]);
  });

  it('gives the next due time from the source schedule, else the timer', () => {
    assert.deepEqual(
      nextDue({ schedule: '0 30 6 * * *' }, '0 */5 * * * *', at('06:00:00')),
      at('06:30:00'),
    );
    assert.deepEqual(nextDue({}, '0 */5 * * * *', at('06:01:00')), at('06:05:00'));
  });
});

/** A Durable client stand-in: per instance, a status read that may hang or fail. */
class Client implements StarterClient {
  readonly started: string[] = [];
  readonly hang = new Map<string, Promise<void>>();
  readonly fail = new Set<string>();

  async getStatus(instanceId: string) {
    await this.hang.get(instanceId);
    if (this.fail.has(instanceId)) throw new Error('task hub unavailable');
    return { instanceId } as unknown as DurableOrchestrationStatus;
  }

  async startNew(_name: string, options?: { instanceId?: string }) {
    this.started.push(options?.instanceId ?? '');
    return options?.instanceId ?? '';
  }

  async terminate() {}
}

describe('the timer starting due sources', () => {
  const settings = loadSettings({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    SYNC_SCHEDULE: '0 */5 * * * *',
    SOURCES: JSON.stringify([
      { name: 'hourly', schedule: '0 0 * * * *', ftp: { host: 'a' } },
      { name: 'daily', schedule: '0 0 6 * * *', ftp: { host: 'b' } },
      { name: 'stuck', ftp: { host: 'c' } },
      { name: 'broken', ftp: { host: 'd' } },
    ]),
  });
  const options = { orchestrator: 'syncOrchestrator', log: new Logger([], 'error') };

  it('starts every due source without waiting for a stuck or failing one', async () => {
    const client = new Client();
    let release = () => {};
    client.hang.set('sync-stuck', new Promise<void>((resolve) => (release = resolve)));
    client.fail.add('sync-broken');
    const tick = { now: at('07:00:00.200'), last: '2026-03-02T06:55:00Z' };
    const pending = startDueSources(client, settings, tick, options);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(client.started, ['sync-hourly'], 'started while "stuck" still hangs');
    release();
    const outcomes = await pending;
    assert.deepEqual(
      outcomes.map((o) => [o.source, o.kind]),
      [
        ['hourly', 'started'],
        ['daily', 'not-due'],
        ['stuck', 'started'],
        ['broken', 'failed'],
      ],
    );
    assert.deepEqual(client.started, ['sync-hourly', 'sync-stuck']);
  });
});
