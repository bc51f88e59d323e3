import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type {
  BatchOutcome,
  PlanDescriptor,
  RecordSummaryInput,
  SyncStatus,
  TransferBatchInput,
} from '../../src/orchestration/syncTypes.js';
import {
  runEpisode,
  runOrchestration,
  type ActivityImpl,
  type HarnessOptions,
} from '../helpers/durableHarness.js';
import { installFunctionsCore } from '../helpers/functionsHost.js';

// The registered sync orchestrator, replayed through the real durable-functions code with
// scripted activities: what the window, retries, progress and continueAsNew do does not depend
// on a real FTP server. test/integration/orchestration.test.ts runs the real activities.

before(async () => {
  installFunctionsCore();
  await import('../../src/functions/syncWorkflow.js');
});

interface Script {
  readonly batches: number;
  readonly limit?: number;
  readonly perExecution?: number;
  /** Throws for this batch on these attempts (1-based). */
  readonly throwsOn?: (batchIndex: number, attempt: number) => boolean;
  /** The code the thrown message leads with, as the activity's do. Default FTP_CONNECT. */
  readonly throwsCode?: string;
  readonly failedFiles?: (batchIndex: number) => number;
}

/** Activities that plan `batches` batches of 10 files and 1000 bytes each. */
function scripted(script: Script): Record<string, ActivityImpl> {
  const attempts = new Map<number, number>();
  return {
    syncPlan: (input): PlanDescriptor => {
      const { runId, source } = input as { runId: string; source: string };
      return {
        runId,
        source,
        planBlob: `${source}/plans/${runId}.json`,
        listed: script.batches * 10,
        counts: {
          new: script.batches * 10,
          changed: 0,
          unchanged: 0,
          touched: 0,
          unstable: 0,
          forced: 0,
        },
        files: script.batches * 10,
        bytes: script.batches * 1000,
        batches: script.batches,
        maxInFlight: script.limit ?? 3,
        batchesPerExecution: script.perExecution ?? 200,
      };
    },
    syncTransferBatch: (input): BatchOutcome => {
      const { batchIndex } = input as TransferBatchInput;
      const attempt = (attempts.get(batchIndex) ?? 0) + 1;
      attempts.set(batchIndex, attempt);
      if (script.throwsOn?.(batchIndex, attempt) === true)
        throw new Error(
          `${script.throwsCode ?? 'FTP_CONNECT'}: FTP server unreachable (batch ${batchIndex},` +
            ` attempt ${attempt})`,
        );
      const failed = script.failedFiles?.(batchIndex) ?? 0;
      return { batchIndex, files: 10, transferred: 10 - failed, touched: 0, failed, bytes: 1000 };
    },
    syncRecordSummary: (input) => {
      const { runId, lostBatches, dryRun, notAttemptedFrom } = input as RecordSummaryInput;
      return { runId, dryRun, lostBatches: lostBatches.map((b) => b.batchIndex), notAttemptedFrom };
    },
  };
}

function options(script: Script, extra: Partial<HarnessOptions> = {}): HarnessOptions {
  return {
    orchestrator: 'syncOrchestrator',
    input: { source: 'vendor' },
    instanceId: 'sync-vendor',
    activities: scripted(script),
    ...extra,
  };
}

/** A small deterministic generator, so a failing order can be replayed. */
function seeded(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
}

const transfersOf = (calls: { name: string; input: unknown }[]) =>
  calls
    .filter((c) => c.name === 'syncTransferBatch')
    .map((c) => (c.input as TransferBatchInput).batchIndex);

describe('sync orchestrator', () => {
  it('keeps at most maxInFlight batches running whatever order they finish in', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seeded(seed);
      const run = await runOrchestration(
        options({ batches: 12, limit: 3 }, { pick: (p) => random(p.length) }),
      );
      assert.equal(run.status, 'Completed', run.error);
      assert.equal(run.maxInFlight.syncTransferBatch, 3, `seed ${seed}`);
      assert.deepEqual(
        transfersOf(run.calls).sort((a, b) => a - b),
        [...Array(12).keys()],
        `seed ${seed}: each batch runs once`,
      );
    }
  });

  it('starts the next batch as soon as any batch finishes, not when a wave is done', async () => {
    // Always complete the newest pending task: batch 0 stays running while later ones cycle.
    const run = await runOrchestration(
      options({ batches: 8, limit: 3 }, { pick: (p) => p.length - 1 }),
    );
    assert.equal(run.status, 'Completed', run.error);
    const batch = (i: number) =>
      run.calls.find(
        (c) => c.name === 'syncTransferBatch' && (c.input as TransferBatchInput).batchIndex === i,
      );
    const first = batch(0);
    const fourth = batch(3);
    assert.ok(first?.settledSeq !== undefined && fourth !== undefined);
    assert.ok(fourth.startedSeq < first.settledSeq, 'batch 3 started while batch 0 still ran');
    assert.ok(run.maxInFlight.syncTransferBatch <= 3);
  });

  it('completes the run when files of a batch fail for good, and counts them', async () => {
    const run = await runOrchestration(
      options({ batches: 4, failedFiles: (b) => (b === 2 ? 3 : 0) }),
    );
    assert.equal(run.status, 'Completed', run.error);
    const last = run.customStatuses.filter(Boolean).at(-1) as SyncStatus;
    assert.equal(last.phase, 'summarizing');
    assert.equal(last.failed, 3);
    assert.equal(last.files.done, 40);
  });

  it('retries a batch that throws with the configured backoff', async () => {
    const run = await runOrchestration(
      options({ batches: 3, throwsOn: (b, attempt) => b === 1 && attempt <= 2 }),
    );
    assert.equal(run.status, 'Completed', run.error);
    assert.equal(transfersOf(run.calls).filter((b) => b === 1).length, 3);
    assert.deepEqual(run.retryDelays, [30_000, 60_000]);
    assert.deepEqual((run.output as { lostBatches: number[] }).lostBatches, []);
  });

  it('gives a batch up after its last attempt and still records the summary', async () => {
    const run = await runOrchestration(options({ batches: 3, throwsOn: (b) => b === 0 }));
    assert.equal(run.status, 'Completed', run.error);
    assert.equal(transfersOf(run.calls).filter((b) => b === 0).length, 5);
    assert.deepEqual(run.retryDelays, [30_000, 60_000, 120_000, 240_000, 480_000]);
    assert.deepEqual((run.output as { lostBatches: number[] }).lostBatches, [0]);
  });

  it('starts no more batches once one is lost, and leaves the rest to the next run', async () => {
    // The server goes away from batch 3 on; batches 3 and 4 are in flight when it does.
    const run = await runOrchestration(
      options({ batches: 20, limit: 2, perExecution: 8, throwsOn: (b) => b >= 3 }),
    );
    assert.equal(run.status, 'Completed', run.error);
    assert.deepEqual(
      [...new Set(transfersOf(run.calls))].sort((a, b) => a - b),
      [0, 1, 2, 3, 4],
    );
    const output = run.output as { lostBatches: number[]; notAttemptedFrom?: number };
    assert.deepEqual(output.lostBatches.sort(), [3, 4]);
    assert.equal(output.notAttemptedFrom, 5);
    assert.equal(run.executions, 1, 'no continueAsNew after the loss');
  });

  it('goes on with the other batches when one is lost for a reason of its own', async () => {
    const run = await runOrchestration(
      options({ batches: 6, limit: 2, throwsOn: (b) => b === 0, throwsCode: 'INTERNAL' }),
    );
    assert.equal(run.status, 'Completed', run.error);
    assert.deepEqual(
      [...new Set(transfersOf(run.calls))].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5],
    );
    const output = run.output as { lostBatches: number[]; notAttemptedFrom?: number };
    assert.deepEqual([output.lostBatches, output.notAttemptedFrom], [[0], undefined]);
  });

  it('publishes files and bytes done out of planned while it runs', async () => {
    const run = await runOrchestration(options({ batches: 5, limit: 2 }));
    const statuses = run.customStatuses.filter(Boolean) as SyncStatus[];
    assert.equal(statuses[0].phase, 'planning');
    const transferring = statuses.filter((s) => s.phase === 'transferring');
    const done = transferring.map((s) => s.files.done);
    assert.deepEqual(
      done,
      [...done].sort((a, b) => a - b),
      'progress never goes back',
    );
    assert.ok(
      done.some((d) => d > 0 && d < 50),
      `an intermediate count is published: ${done}`,
    );
    assert.deepEqual(statuses.at(-1)?.bytes, { done: 5000, planned: 5000 });
    assert.equal(statuses.at(-1)?.phase, 'summarizing');
  });

  it('continues as new after its batch cap, carrying totals but no file list', async () => {
    const run = await runOrchestration(options({ batches: 7, limit: 2, perExecution: 3 }));
    assert.equal(run.status, 'Completed', run.error);
    assert.equal(run.executions, 3);
    assert.equal(run.calls.filter((c) => c.name === 'syncPlan').length, 1);
    const resumes = run.inputs
      .slice(1)
      .map((i) => (i as { resume: { nextBatch: number; progress: { filesDone: number } } }).resume);
    assert.deepEqual(
      resumes.map((r) => r.nextBatch),
      [3, 6],
    );
    assert.deepEqual(
      resumes.map((r) => r.progress.filesDone),
      [30, 60],
    );
    assert.ok(
      run.inputs.every((i) => JSON.stringify(i).length < 2000),
      'inputs stay small',
    );
    assert.deepEqual(
      transfersOf(run.calls).sort((a, b) => a - b),
      [...Array(7).keys()],
    );
  });

  it('plans only on a dry run', async () => {
    const run = await runOrchestration(
      options({ batches: 4 }, { input: { source: 'vendor', dryRun: true } }),
    );
    assert.equal(run.status, 'Completed', run.error);
    assert.deepEqual(
      run.calls.map((c) => c.name),
      ['syncPlan', 'syncRecordSummary'],
    );
    assert.equal((run.output as { dryRun: boolean }).dryRun, true);
  });

  it('replays the same history to the same actions', async () => {
    const random = seeded(9);
    const run = await runOrchestration(
      options({ batches: 6, limit: 3 }, { pick: (p) => random(p.length) }),
    );
    for (const [index, history] of run.histories.entries()) {
      const input = run.inputs[index];
      const once = await runEpisode('syncOrchestrator', history, input, 'sync-vendor');
      const twice = await runEpisode('syncOrchestrator', history, input, 'sync-vendor');
      assert.deepEqual(twice, once);
      assert.equal(once.isDone, true);
    }
  });

  it('behaves the same under the oldest replay schema', async () => {
    const random = seeded(3);
    const run = await runOrchestration(
      options({ batches: 9, limit: 4 }, { schemaVersion: 0, pick: (p) => random(p.length) }),
    );
    assert.equal(run.status, 'Completed', run.error);
    assert.equal(run.maxInFlight.syncTransferBatch, 4);
    assert.equal(transfersOf(run.calls).length, 9);
  });
});
