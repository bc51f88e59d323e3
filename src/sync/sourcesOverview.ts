import type { SourceSettings } from '../config/settings.js';
import { messageOf } from '../errors/IngestError.js';
import { readLastRunSummary, type FileFailure } from './runSummary.js';
import type { RunFailure } from './planFailure.js';
import { nextDue } from './sourceSchedule.js';
import type { SyncDeps } from './SyncDeps.js';

/** One source's last run and next start, as `status` and `GET /api/sync` show them. */
export interface SourceOverview {
  readonly source: string;
  /** The NCRONTAB that starts it: its own, or the timer's when it has none. */
  readonly schedule?: string;
  readonly nextDue?: string;
  /** Null before the first recorded run. */
  readonly lastRun: LastRun | null;
  /** Set when the last run could not be read; the other sources are still listed. */
  readonly readError?: string;
}

/** The parts of a run summary an overview needs; the full summary is one request away. */
export interface LastRun {
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly dryRun: boolean;
  readonly listed: number;
  readonly transferred: number;
  readonly touched: number;
  readonly failed: number;
  readonly bytes: number;
  readonly error?: RunFailure;
  /** The first few failed files. */
  readonly failures: readonly FileFailure[];
}

/** Failed files shown per source; the run summary keeps up to 200. */
const failuresShown = 5;

/** The overview of each source, read in parallel; one unreadable summary fails only its row. */
export function sourcesOverview(
  deps: SyncDeps,
  sources: readonly SourceSettings[],
  now: Date,
): Promise<SourceOverview[]> {
  const timerSchedule = deps.settings.functions?.syncSchedule;
  return Promise.all(
    sources.map(async (source): Promise<SourceOverview> => {
      const schedule = source.schedule ?? timerSchedule;
      const next = nextDue(source, timerSchedule, now)?.toISOString();
      const row = { source: source.name, schedule, nextDue: next };
      try {
        const summary = await readLastRunSummary(deps, source.name);
        if (summary === undefined) return { ...row, lastRun: null };
        const { runId, startedAt, finishedAt, dryRun, listed, transferred, touched } = summary;
        const lastRun: LastRun = {
          runId,
          startedAt,
          finishedAt,
          dryRun,
          listed,
          transferred,
          touched,
          failed: summary.failed,
          bytes: summary.bytes,
          ...(summary.error === undefined ? {} : { error: summary.error }),
          failures: summary.failures.slice(0, failuresShown),
        };
        return { ...row, lastRun };
      } catch (error) {
        return { ...row, lastRun: null, readError: messageOf(error) };
      }
    }),
  );
}
