import type {
  BatchOutcome,
  LostBatch,
  PlanDescriptor,
  SyncProgress,
  SyncStatus,
} from './syncTypes.js';

/** Totals before the first batch. */
export const emptyProgress: SyncProgress = {
  batchesDone: 0,
  filesDone: 0,
  bytesDone: 0,
  transferred: 0,
  touched: 0,
  failed: 0,
  lostBatches: [],
};

/** Totals after one more batch came back. */
export function addOutcome(progress: SyncProgress, outcome: BatchOutcome): SyncProgress {
  return {
    ...progress,
    batchesDone: progress.batchesDone + 1,
    filesDone: progress.filesDone + outcome.files,
    bytesDone: progress.bytesDone + outcome.bytes,
    transferred: progress.transferred + outcome.transferred,
    touched: progress.touched + outcome.touched,
    failed: progress.failed + outcome.failed,
  };
}

/**
 * Totals after a batch was given up on. Its file count lives only in the plan blob, which an
 * orchestrator must not read, so the summary activity counts its files as failed.
 */
export function addLostBatch(progress: SyncProgress, lost: LostBatch): SyncProgress {
  return {
    ...progress,
    batchesDone: progress.batchesDone + 1,
    lostBatches: [...progress.lostBatches, lost],
  };
}

/** The custom status operators see in the status query while a run is under way. */
export function statusOf(
  runId: string,
  phase: SyncStatus['phase'],
  execution: number,
  plan: PlanDescriptor | undefined,
  progress: SyncProgress,
  inFlight = 0,
): SyncStatus {
  return {
    runId,
    phase,
    execution,
    files: { done: progress.filesDone, planned: plan?.files ?? 0 },
    bytes: { done: progress.bytesDone, planned: plan?.bytes ?? 0 },
    batches: { done: progress.batchesDone, planned: plan?.batches ?? 0, inFlight },
    failed: progress.failed,
    lostBatches: progress.lostBatches.length,
  };
}
