import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { OrchestrationContext, Task } from 'durable-functions';
import { runOrchestration } from '../helpers/durableHarness.js';
import { installFunctionsCore } from '../helpers/functionsHost.js';

// Why runWindow does not simply re-await the running tasks with a fresh Task.any: the SDK sends
// the children of every new Task.any as new actions and the extension schedules them again
// (Azure/azure-functions-durable-js#574). Both orchestrators below start 6 items, 2 at a time.

const items = 6;

before(async () => {
  installFunctionsCore();
  const df = await import('durable-functions');
  const { runWindow } = await import('../../src/orchestration/slidingWindow.js');
  const work = df.app.activity('windowWork', { handler: (input: unknown) => input });

  df.app.orchestration('naiveWindow', function* (context: OrchestrationContext) {
    let running: Task[] = [];
    for (let next = 0; next < items || running.length > 0;) {
      while (next < items && running.length < 2) running.push(work({ item: next++ }));
      const winner = (yield context.df.Task.any(running)) as Task;
      running = running.filter((task) => task !== winner);
    }
  });

  df.app.orchestration('windowed', function* (context: OrchestrationContext) {
    const results: number[] = [];
    yield* runWindow<{ item: number }>(context, 0, items, 2, {
      start: (item) => work({ item }),
      completed: (_item, result) => results.push(result.item),
      failed: (_item, error) => {
        throw error;
      },
    });
    return results;
  });
});

const picks = { pick: (pending: readonly unknown[]) => pending.length - 1 };

describe('sliding window on the real replay protocol', () => {
  it('schedules items again when running tasks are re-awaited with a new Task.any', async () => {
    const run = await runOrchestration({ orchestrator: 'naiveWindow', input: null, ...picks });
    const scheduled = run.calls.filter((c) => c.name === 'windowWork').length;
    assert.ok(
      scheduled > items,
      `the naive window scheduled ${scheduled} calls for ${items} items`,
    );
  });

  it('runWindow schedules every item exactly once and never more than the limit', async () => {
    const run = await runOrchestration({ orchestrator: 'windowed', input: null, ...picks });
    assert.equal(run.status, 'Completed', run.error);
    const scheduled = run.calls.map((c) => (c.input as { item: number }).item);
    assert.deepEqual(scheduled, [0, 1, 2, 3, 4, 5]);
    assert.equal(run.maxInFlight.windowWork, 2);
    assert.deepEqual([...(run.output as number[])].sort(), [0, 1, 2, 3, 4, 5]);
  });
});
