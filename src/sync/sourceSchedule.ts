import { CronExpressionParser } from 'cron-parser';
import type { SourceSettings } from '../config/settingTypes.js';

// Source schedules are NCRONTAB, the Functions timer's own format: six fields, seconds first,
// evaluated in UTC. cron-parser reads the same fields; it would also take five (no seconds),
// which would silently shift every field by one, so the count is checked here first.

/** Why `expression` is not a six-field NCRONTAB expression, or undefined when it is one. */
export function scheduleProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6)
    return `expected six NCRONTAB fields (second minute hour day month day-of-week), got ${fields.length}`;
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC' }).next();
    return undefined;
  } catch (error) {
    return `not a valid NCRONTAB expression: ${(error as Error).message}`;
  }
}

/** The first occurrence of `expression` strictly after `after`. */
export function nextOccurrence(expression: string, after: Date): Date {
  return CronExpressionParser.parse(expression, { currentDate: after, tz: 'UTC' }).next().toDate();
}

/** A half-open span of time `(from, to]`: the ticks of the timer since its previous firing. */
export interface TickWindow {
  readonly from: Date;
  readonly to: Date;
}

/**
 * Whether a source is due in this window: it has no schedule of its own (due on every tick), or
 * its schedule has an occurrence after `from` and at or before `to`. Consecutive windows share
 * their bounds, so each occurrence falls in exactly one tick, however late the timer fires.
 */
export function isDue(source: Pick<SourceSettings, 'schedule'>, window: TickWindow): boolean {
  if (source.schedule === undefined) return true;
  return nextOccurrence(source.schedule, window.from).getTime() <= window.to.getTime();
}

/** When the timer next starts this source: its schedule's next occurrence, or the timer's. */
export function nextDue(
  source: Pick<SourceSettings, 'schedule'>,
  timerSchedule: string | undefined,
  after: Date,
): Date | undefined {
  const expression = source.schedule ?? timerSchedule;
  return expression === undefined ? undefined : nextOccurrence(expression, after);
}

/**
 * The window a timer tick covers: from the previous firing the host reports
 * (`scheduleStatus.last`), else from the timer schedule's occurrence before the one that fired
 * this tick (the host leaves the status out for every-minute timers and on a first tick), to
 * `now`. Windows may overlap by the seconds a tick fires late, and then a source due in them
 * is started twice; that is harmless (the second start finds the first still running, or
 * plans nothing new), whereas a gap would skip a scheduled run.
 */
export function tickWindow(
  now: Date,
  last: string | Date | undefined,
  timerSchedule: string | undefined,
): TickWindow {
  const reported = last === undefined ? NaN : new Date(last).getTime();
  if (Number.isFinite(reported) && reported < now.getTime())
    return { from: new Date(reported), to: now };
  if (timerSchedule !== undefined && scheduleProblem(timerSchedule) === undefined) {
    const ticks = CronExpressionParser.parse(timerSchedule, { currentDate: now, tz: 'UTC' });
    ticks.prev();
    return { from: ticks.prev().toDate(), to: now };
  }
  return { from: new Date(now.getTime() - 60_000), to: now };
}
