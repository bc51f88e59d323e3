import { errorCodes, IngestError, messageOf } from '../errors/IngestError.js';
import type { Plan } from './planSync.js';

/** Why a run could not complete at all (no listing), as its summary records it. */
export interface RunFailure {
  readonly code: string;
  readonly message: string;
}

/** The failure of a run whose planning threw `error`. */
export function runFailureOf(error: unknown): RunFailure {
  // Durable appends the activity's stack to its message: keep the first line.
  const message = messageOf(error).split(/\s*\n/)[0] ?? '';
  // An activity's error reaches the orchestrator as text: its code, when named, is kept.
  const named = errorCodes.find((known) => new RegExp(`\\b${known}\\b`).test(message));
  return {
    code: error instanceof IngestError ? error.code : (named ?? 'INTERNAL'),
    message: message.slice(0, 1000),
  };
}

/**
 * The plan of a run that could not list its server (bad login, server down, missing root): no
 * files, the root named as the one problem, and the failure, so the run still ends with a
 * summary under its own source that says what went wrong.
 */
export function failedPlan(runId: string, source: string, root: string, failure: RunFailure): Plan {
  const counts = { new: 0, changed: 0, unchanged: 0, touched: 0, unstable: 0, forced: 0 };
  return {
    runId,
    source,
    listed: 0,
    counts,
    transfers: [],
    problems: [{ path: root, reason: `${failure.code}: ${failure.message}` }],
    bytesPlanned: 0,
    failure,
  };
}
