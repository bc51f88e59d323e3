import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { runFailureOf } from '../sync/planFailure.js';
import type { RunSummary } from '../sync/runSummary.js';
import { addLostBatch, addOutcome, emptyProgress, statusOf } from './progress.js';
import { runWindow } from './slidingWindow.js';
import type {
  BatchOutcome,
  PlanActivityInput,
  PlanDescriptor,
  RecordSummaryInput,
  SyncOrchestrationInput,
  SyncProgress,
  SyncResume,
  TransferBatchInput,
} from './syncTypes.js';

/** The orchestrator's function name, which the starters start. */
export const syncOrchestratorName = 'syncOrchestrator';

/** Starts one activity call; what `df.app.activity` returns, typed by its input. */
export type ActivityCall<I> = (input: I) => Task & { withRetry(options: df.RetryOptions): Task };

/** The three activities of a sync, as their registrations returned them. */
export interface SyncActivities {
  readonly plan: ActivityCall<PlanActivityInput>;
  readonly transferBatch: ActivityCall<TransferBatchInput>;
  readonly recordSummary: ActivityCall<RecordSummaryInput>;
}

/** Tuning of the orchestration; defaults suit a vendor server and a Consumption plan. */
export interface SyncOrchestratorOptions {
  /** Batches one execution runs before `continueAsNew`. Default: what the plan carries. */
  readonly batchesPerExecution?: number;
  /** Retry of calls that lose a whole batch or plan. Default 5 attempts, 30 s doubling to 10 min. */
  readonly retry?: df.RetryOptions;
}

/** Codes of a lost batch that mean no other batch can succeed now either. */
const outageCodes = new Set([
  'FTP_CONNECT',
  'FTP_BUSY',
  'FTP_TIMEOUT',
  'FTP_LOGIN',
  'BLOB_UNAVAILABLE',
  'SOURCE_LOCKED',
]);

/** Retries for faults that lose a whole call: unreachable server, storage outage. */
export function defaultRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(30_000, 5);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 10 * 60_000;
  return retry;
}

/**
 * The sync orchestration of one source: plan, transfer the planned batches with a bounded
 * sliding window, record the summary and return it. Deterministic: time comes from the
 * history, and logs are written only when not replaying.
 */
export function createSyncOrchestrator(
  activities: SyncActivities,
  options: SyncOrchestratorOptions = {},
): OrchestrationHandler {
  return function* syncOrchestrator(context: OrchestrationContext) {
    const input = context.df.getInput<SyncOrchestrationInput>();
    const retry = options.retry ?? defaultRetry();
    const log = (message: string, fields: Record<string, unknown> = {}) => {
      if (!context.df.isReplaying) context.info(message, { source: input.source, ...fields });
    };

    let resume = input.resume;
    if (resume === undefined) {
      const startedAt = context.df.currentUtcDateTime.toISOString();
      const runId = runIdFor(context.df.instanceId, startedAt);
      context.df.setCustomStatus(statusOf(runId, 'planning', 1, undefined, emptyProgress));
      const planInput: PlanActivityInput = { ...requestOf(input), runId };
      let plan: PlanDescriptor;
      try {
        plan = (yield activities.plan(planInput).withRetry(retry)) as PlanDescriptor;
      } catch (error) {
        // The server stayed unreachable through every retry: leave a summary under this
        // source saying so, then fail this instance (and only this one).
        const failure = runFailureOf(error);
        const failedInput: RecordSummaryInput = {
          source: input.source,
          runId,
          planBlob: '',
          startedAt,
          dryRun: input.dryRun === true,
          lostBatches: [],
          failure,
        };
        yield activities.recordSummary(failedInput).withRetry(retry);
        log('sync planning failed after retries', { runId, err: failure.message });
        throw error;
      }
      log('sync planned', { runId, files: plan.files, bytes: plan.bytes, batches: plan.batches });
      resume = { runId, startedAt, plan, nextBatch: 0, progress: emptyProgress, execution: 1 };
      if (input.dryRun === true) return yield* summarize(resume, true);
    }

    const { plan, runId } = resume;
    const perExecution = Math.max(1, options.batchesPerExecution ?? plan.batchesPerExecution);
    const end = Math.min(plan.batches, resume.nextBatch + perExecution);
    let progress: SyncProgress = resume.progress;
    const publish = (inFlight: number) =>
      context.df.setCustomStatus(
        statusOf(runId, 'transferring', resume.execution, plan, progress, inFlight),
      );
    publish(0);
    // A batch lost to an outage after every retry means the server or storage stayed away for
    // minutes: starting the rest would repeat that for each of them, for hours, while the run
    // blocks the next ones, so the rest are left to the next run. A batch lost for its own
    // reasons (an activity timeout on one huge file) does not stop the others.
    let outage = false;
    const stoppedAt = yield* runWindow<BatchOutcome>(
      context,
      resume.nextBatch,
      end,
      plan.maxInFlight,
      {
        start: (batchIndex) =>
          activities
            .transferBatch({ source: plan.source, runId, planBlob: plan.planBlob, batchIndex })
            .withRetry(retry),
        completed: (_index, outcome) => {
          progress = addOutcome(progress, outcome);
        },
        failed: (batchIndex, error) => {
          outage ||= outageCodes.has(runFailureOf(error).code);
          progress = addLostBatch(progress, { batchIndex, error: error.message.slice(0, 500) });
          log('sync batch lost after retries', { runId, batchIndex, err: error.message });
        },
        stop: () => outage,
        step: publish,
      },
    );

    if (outage) {
      log('sync stopped after a batch lost to an outage', { runId, notAttemptedFrom: stoppedAt });
      return yield* summarize({ ...resume, progress }, false, stoppedAt);
    }
    if (end < plan.batches) {
      log('sync continues as new', { runId, nextBatch: end, batches: plan.batches });
      const next: SyncResume = {
        ...resume,
        nextBatch: end,
        progress,
        execution: resume.execution + 1,
      };
      context.df.continueAsNew({ ...requestOf(input), resume: next });
      return undefined;
    }
    return yield* summarize({ ...resume, progress }, false);

    function* summarize(
      state: SyncResume,
      dryRun: boolean,
      notAttemptedFrom?: number,
    ): Generator<Task, RunSummary, unknown> {
      context.df.setCustomStatus(
        statusOf(state.runId, 'summarizing', state.execution, state.plan, state.progress),
      );
      const summaryInput: RecordSummaryInput = {
        source: state.plan.source,
        runId: state.runId,
        planBlob: state.plan.planBlob,
        startedAt: state.startedAt,
        dryRun,
        lostBatches: state.progress.lostBatches,
        ...(notAttemptedFrom === undefined || notAttemptedFrom >= state.plan.batches
          ? {}
          : { notAttemptedFrom }),
      };
      const summary = (yield activities.recordSummary(summaryInput).withRetry(retry)) as RunSummary;
      log('sync finished', {
        runId: state.runId,
        transferred: summary.transferred,
        failed: summary.failed,
      });
      return summary;
    }
  };
}

/** The request part of an input, without the resume state. */
function requestOf(input: SyncOrchestrationInput) {
  const { source, paths, force, dryRun } = input;
  return { source, paths, force, dryRun };
}

/** `<instance id>-<yyyymmddThhmmssZ>`: unique per run although the instance id is fixed. */
export function runIdFor(instanceId: string, startedAt: string): string {
  return `${instanceId}-${startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}
