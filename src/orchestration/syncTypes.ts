import type { PlanReason } from '../sync/types.js';

/** What a starter asks for: the HTTP body, or nothing from the timer. */
export interface SyncRequest {
  readonly source: string;
  /** Sub-trees relative to the source root. Default: the whole tree. */
  readonly paths?: readonly string[];
  /** Transfer files even when unchanged. Default false. */
  readonly force?: boolean;
  /** Plan only; nothing is transferred. Default false. */
  readonly dryRun?: boolean;
}

/**
 * The plan as the orchestration history sees it: counts and a pointer to the full plan blob,
 * never the file list, so replaying a run of 100k files stays cheap.
 */
export interface PlanDescriptor {
  readonly runId: string;
  readonly source: string;
  /** Name of the plan blob in the runs container. */
  readonly planBlob: string;
  readonly listed: number;
  readonly counts: Readonly<Record<PlanReason, number>>;
  readonly files: number;
  readonly bytes: number;
  readonly batches: number;
  /** Transfer activities in flight at once: the source's FTP connection limit. */
  readonly maxInFlight: number;
  /** Batches one execution runs before `continueAsNew`; in the history so replays agree. */
  readonly batchesPerExecution: number;
}

/** What one transfer batch did, small enough for the history. */
export interface BatchOutcome {
  readonly batchIndex: number;
  readonly files: number;
  readonly transferred: number;
  readonly touched: number;
  readonly failed: number;
  /** Bytes committed as new blob versions. */
  readonly bytes: number;
}

/** Running totals carried across `continueAsNew`. */
export interface SyncProgress {
  readonly batchesDone: number;
  readonly filesDone: number;
  readonly bytesDone: number;
  readonly transferred: number;
  readonly touched: number;
  readonly failed: number;
  /** Batches lost after every retry, with the last error. */
  readonly lostBatches: readonly LostBatch[];
}

export interface LostBatch {
  readonly batchIndex: number;
  readonly error: string;
}

/** Where a run continues after `continueAsNew`. */
export interface SyncResume {
  readonly runId: string;
  readonly startedAt: string;
  readonly plan: PlanDescriptor;
  readonly nextBatch: number;
  readonly progress: SyncProgress;
  /** Executions so far, for the custom status. */
  readonly execution: number;
}

/** The orchestration's input: a request, plus the state of the run when continuing. */
export interface SyncOrchestrationInput extends SyncRequest {
  readonly resume?: SyncResume;
}

/** Input of the plan activity. */
export interface PlanActivityInput extends SyncRequest {
  readonly runId: string;
}

/** Input of the transfer activity: which batch of which stored plan. */
export interface TransferBatchInput {
  readonly source: string;
  readonly runId: string;
  readonly planBlob: string;
  readonly batchIndex: number;
}

/** Input of the record-summary activity. */
export interface RecordSummaryInput {
  readonly source: string;
  readonly runId: string;
  readonly planBlob: string;
  readonly startedAt: string;
  readonly dryRun: boolean;
  readonly lostBatches: readonly LostBatch[];
  /** Batches from this index on were never started, because an earlier one was lost. */
  readonly notAttemptedFrom?: number;
  /** Planning failed after every retry: record a summary of the failure, with no plan blob. */
  readonly failure?: { readonly code: string; readonly message: string };
}

/** The orchestration's custom status while it runs. */
export interface SyncStatus {
  readonly runId: string;
  readonly phase: 'planning' | 'transferring' | 'summarizing';
  readonly execution: number;
  readonly files: { readonly done: number; readonly planned: number };
  readonly bytes: { readonly done: number; readonly planned: number };
  readonly batches: { readonly done: number; readonly planned: number; readonly inFlight: number };
  readonly failed: number;
  readonly lostBatches: number;
}
