import {
  isoSeconds,
  listedTimeToUtc,
  utcToWallTime,
  zoneOffsetMs,
  type ListedTime,
} from './listTime.js';

/**
 * How a server's MDTM replies read. RFC 3659 says UTC, but vsftpd with `use_localtime=YES`
 * answers in its own zone, and in a chroot with the offset it had when the session began (a
 * file from 10:00Z in July shows as 11:00 in a Berlin winter, not 12:00).
 */
export type MdtmClock = 'utc' | 'local';

/** One file's times as the server gave them, before the MDTM clock is known. */
export interface ServerTimes {
  readonly listed?: ListedTime;
  readonly mdtm?: Date;
}

/**
 * Which clock MDTM uses, judged by comparing it with the same file's LIST time (which is in the
 * server's zone): undefined when this file cannot tell, e.g. the zone is UTC right now.
 */
export function judgeMdtmClock(
  times: ServerTimes,
  timezone: string,
  now: Date,
): MdtmClock | undefined {
  const { listed, mdtm } = times;
  if (listed === undefined || mdtm === undefined) return undefined;
  const readAsLocal = wallOf(mdtm, 0);
  const readAsUtc = [utcToWallTime(mdtm, timezone), wallOf(mdtm, zoneOffsetMs(timezone, now))];
  const matches = (wall: ReturnType<typeof wallOf>) =>
    wall.month === listed.month &&
    wall.day === listed.day &&
    (listed.hour === undefined || (wall.hour === listed.hour && wall.minute === listed.minute));
  const local = matches(readAsLocal);
  const utc = readAsUtc.some(matches);
  if (local && !utc) return 'local';
  if (utc && !local) return 'utc';
  return undefined;
}

/** The modification time as ISO UTC, from MDTM where given, else from the LIST text. */
export function modifiedFrom(
  times: ServerTimes,
  clock: MdtmClock,
  timezone: string,
  now: Date,
): string | undefined {
  if (times.mdtm !== undefined) {
    const utc =
      clock === 'utc' ? times.mdtm : new Date(times.mdtm.getTime() - zoneOffsetMs(timezone, now));
    return isoSeconds(utc);
  }
  if (times.listed !== undefined) return isoSeconds(listedTimeToUtc(times.listed, timezone, now));
  return undefined;
}

/** The UTC fields of `date` shifted by `offsetMs`: how a clock that far ahead shows it. */
function wallOf(date: Date, offsetMs: number) {
  const shifted = new Date(date.getTime() + offsetMs);
  return {
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
  };
}
