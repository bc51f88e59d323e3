import type { Settings } from '../config/settings.js';
import { messageOf } from '../errors/IngestError.js';
import { isDue, tickWindow } from '../sync/sourceSchedule.js';
import type { Logger } from '../telemetry/logger.js';
import {
  startSync,
  type StartOptions,
  type StartOutcome,
  type StarterClient,
} from './startSync.js';

/** What one timer tick did for one source. */
export type DueStart =
  | { readonly source: string; readonly kind: 'not-due' }
  | { readonly source: string; readonly kind: 'failed'; readonly error: string }
  | ({ readonly source: string } & StartOutcome);

/** The timer's view of its own firing: now, and the previous firing when the host reports it. */
export interface TimerTick {
  readonly now: Date;
  /** `scheduleStatus.last` of the timer binding; absent on every-minute timers. */
  readonly last?: string | Date;
}

/**
 * Starts the singleton sync of every source due in this tick, all at once: each source has its
 * own instance id, so a running, stale or unreachable one is handled without holding up the
 * others, and an error starting one is reported for that source alone.
 */
export async function startDueSources(
  client: StarterClient,
  settings: Settings,
  tick: TimerTick,
  options: Omit<StartOptions, 'now'> & { readonly log: Logger },
): Promise<DueStart[]> {
  const window = tickWindow(tick.now, tick.last, settings.functions?.syncSchedule);
  return Promise.all(
    settings.sources.map(async (source): Promise<DueStart> => {
      if (!isDue(source, window)) return { source: source.name, kind: 'not-due' };
      try {
        const outcome = await startSync(client, { source: source.name }, options);
        if (outcome.kind === 'running')
          options.log.info(
            { source: source.name, ...outcome },
            'previous sync still running: skipped',
          );
        return { source: source.name, ...outcome };
      } catch (error) {
        options.log.error({ source: source.name, err: error }, 'starting the sync failed');
        return { source: source.name, kind: 'failed', error: messageOf(error) };
      }
    }),
  );
}
