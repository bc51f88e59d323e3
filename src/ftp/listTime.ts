/** A time as a clock on the wall shows it, in no particular zone; months count from 1. */
export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** What a LIST line says about a time: minute precision for recent files, a day for old ones. */
export interface ListedTime {
  readonly month: number;
  readonly day: number;
  /** Given for old files (`Dec  3  2024`); inferred from `now` for recent ones. */
  readonly year?: number;
  /** Given for recent files (`Dec  3 14:05`). */
  readonly hour?: number;
  readonly minute?: number;
}

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const dayMs = 24 * 3600 * 1000;

/**
 * Parses LIST's `rawModifiedAt` (`Dec  3 14:05`, `Dec  3  2024`, or IIS's `12-03-24 02:05PM`)
 * as a time in `timezone`. A year-less time gets the year that puts it no more than a day after
 * `now`, as `ls` does. Undefined when the text is in no known form.
 */
export function parseListTime(raw: string, timezone: string, now: Date): Date | undefined {
  const listed = readListedTime(raw);
  if (listed === undefined) return undefined;
  return listedTimeToUtc(listed, timezone, now);
}

/** The UTC instant of a listed time in `timezone`, inferring a missing year from `now`. */
export function listedTimeToUtc(listed: ListedTime, timezone: string, now: Date): Date {
  const wall = (year: number): WallTime => ({
    year,
    month: listed.month,
    day: listed.day,
    hour: listed.hour ?? 0,
    minute: listed.minute ?? 0,
    second: 0,
  });
  if (listed.year !== undefined) return wallTimeToUtc(wall(listed.year), timezone);
  const thisYear = utcToWallTime(now, timezone).year;
  const guess = wallTimeToUtc(wall(thisYear), timezone);
  // Servers drop the year for the last six months; a time well ahead of now is last year's.
  return guess.getTime() > now.getTime() + dayMs
    ? wallTimeToUtc(wall(thisYear - 1), timezone)
    : guess;
}

/** Reads the fields of a LIST time without interpreting them in any zone. */
export function readListedTime(raw: string): ListedTime | undefined {
  const text = raw.trim().replace(/\s+/g, ' ');
  const unix = /^([A-Za-z]{3}) (\d{1,2}) (?:(\d{1,2}):(\d{2})|(\d{4}))$/.exec(text);
  if (unix !== null) {
    const month = months.indexOf(unix[1].toLowerCase()) + 1;
    const day = Number(unix[2]);
    if (month === 0 || day < 1 || day > 31) return undefined;
    if (unix[5] !== undefined) return { month, day, year: Number(unix[5]) };
    const hour = Number(unix[3]);
    const minute = Number(unix[4]);
    if (hour > 23 || minute > 59) return undefined;
    return { month, day, hour, minute };
  }
  const dos = /^(\d{2})-(\d{2})-(\d{2}|\d{4}) (\d{1,2}):(\d{2}) ?([AP]M)?$/i.exec(text);
  if (dos !== null) {
    const month = Number(dos[1]);
    const day = Number(dos[2]);
    const shortYear = Number(dos[3]);
    // IIS prints two-digit years; 70-99 are 1900s, as in its own parser.
    const year =
      dos[3].length === 4 ? shortYear : shortYear < 70 ? 2000 + shortYear : 1900 + shortYear;
    let hour = Number(dos[4]);
    const half = dos[6]?.toUpperCase();
    if (half === 'PM' && hour < 12) hour += 12;
    if (half === 'AM' && hour === 12) hour = 0;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23) return undefined;
    return { month, day, year, hour, minute: Number(dos[5]) };
  }
  return undefined;
}

/**
 * The instant a wall clock in `timezone` shows. In the hour skipped by a DST change the time is
 * read with the offset from before it; in the repeated hour the first occurrence is taken.
 */
export function wallTimeToUtc(wall: WallTime, timezone: string): Date {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const earlier = zoneOffsetMs(timezone, new Date(asUtc - dayMs));
  const later = zoneOffsetMs(timezone, new Date(asUtc + dayMs));
  // Try the larger offset first: it gives the earlier instant, the first of a repeated hour.
  for (const offset of earlier >= later ? [earlier, later] : [later, earlier]) {
    const instant = asUtc - offset;
    if (zoneOffsetMs(timezone, new Date(instant)) === offset) return new Date(instant);
  }
  return new Date(asUtc - earlier);
}

/** How far `timezone` is ahead of UTC at `at`, in milliseconds (Berlin in summer: 7200000). */
export function zoneOffsetMs(timezone: string, at: Date): number {
  const wall = utcToWallTime(at, timezone);
  const wallAsUtc = Date.UTC(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour,
    wall.minute,
    wall.second,
  );
  return wallAsUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The wall clock in `timezone` at the instant `at`. */
export function utcToWallTime(at: Date, timezone: string): WallTime {
  const parts = formatterFor(timezone).formatToParts(at);
  const field = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((part) => part.type === type)?.value);
  return {
    year: field('year'),
    month: field('month'),
    day: field('day'),
    hour: field('hour') % 24,
    minute: field('minute'),
    second: field('second'),
  };
}

/** ISO 8601 UTC cut to whole seconds, so two listings of an unchanged file give one string. */
export function isoSeconds(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}
