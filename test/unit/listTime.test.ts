import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoSeconds, parseListTime, wallTimeToUtc, zoneOffsetMs } from '../../src/ftp/listTime.js';
import { judgeMdtmClock, modifiedFrom } from '../../src/ftp/serverTime.js';

const now = new Date('2026-12-03T12:00:00Z');

describe('parseListTime', () => {
  const cases: ReadonlyArray<[raw: string, timezone: string, expected: string | undefined]> = [
    ['Dec  3 11:05', 'UTC', '2026-12-03T11:05:00.000Z'],
    ['Dec 03 11:05', 'UTC', '2026-12-03T11:05:00.000Z'],
    // Up to a day ahead is clock skew, not last year.
    ['Dec  4 11:05', 'UTC', '2026-12-04T11:05:00.000Z'],
    ['Dec  5 11:05', 'UTC', '2025-12-05T11:05:00.000Z'],
    ['Jul  1 12:00', 'UTC', '2026-07-01T12:00:00.000Z'],
    ['Dec  3  2024', 'UTC', '2024-12-03T00:00:00.000Z'],
    ['Dec 3 2024', 'UTC', '2024-12-03T00:00:00.000Z'],
    ['Dec  3 14:05', 'Europe/Berlin', '2026-12-03T13:05:00.000Z'],
    // Summer time in Berlin: two hours ahead.
    ['Jul  1 12:00', 'Europe/Berlin', '2026-07-01T10:00:00.000Z'],
    ['Jan 15  2020', 'America/New_York', '2020-01-15T05:00:00.000Z'],
    ['Jul 15  2020', 'America/New_York', '2020-07-15T04:00:00.000Z'],
    ['Mar  8 10:00', 'Asia/Kolkata', '2026-03-08T04:30:00.000Z'],
    // The year turns in Sydney before it does in UTC.
    ['Jan  1 09:00', 'Australia/Sydney', '2025-12-31T22:00:00.000Z'],
    ['12-03-24  02:05PM', 'UTC', '2024-12-03T14:05:00.000Z'],
    ['07-01-99  12:30AM', 'UTC', '1999-07-01T00:30:00.000Z'],
    ['', 'UTC', undefined],
    ['yesterday', 'UTC', undefined],
    ['Foo  3 14:05', 'UTC', undefined],
    ['Dec  3 25:05', 'UTC', undefined],
  ];
  for (const [raw, timezone, expected] of cases) {
    it(`reads "${raw}" in ${timezone} as ${expected ?? 'nothing'}`, () => {
      assert.equal(parseListTime(raw, timezone, now)?.toISOString(), expected);
    });
  }

  it('infers the year from the zone, not from UTC', () => {
    const newYearInTokyo = new Date('2026-12-31T16:00:00Z');
    assert.equal(
      parseListTime('Jan  1 00:30', 'Asia/Tokyo', newYearInTokyo)?.toISOString(),
      '2026-12-31T15:30:00.000Z',
    );
  });
});

describe('wallTimeToUtc across DST changes', () => {
  const wall = (month: number, day: number, hour: number, minute: number) => ({
    year: 2024,
    month,
    day,
    hour,
    minute,
    second: 0,
  });
  it('takes the first of a repeated hour (Berlin, 27 Oct 2024 02:30)', () => {
    assert.equal(
      wallTimeToUtc(wall(10, 27, 2, 30), 'Europe/Berlin').toISOString(),
      '2024-10-27T00:30:00.000Z',
    );
  });
  it('reads a skipped hour with the offset from before it (Berlin, 31 Mar 2024 02:30)', () => {
    assert.equal(
      wallTimeToUtc(wall(3, 31, 2, 30), 'Europe/Berlin').toISOString(),
      '2024-03-31T01:30:00.000Z',
    );
  });
  it('is exact just after the spring change (New York, 10 Mar 2024 03:00)', () => {
    assert.equal(
      wallTimeToUtc(wall(3, 10, 3, 0), 'America/New_York').toISOString(),
      '2024-03-10T07:00:00.000Z',
    );
  });
  it('gives zone offsets in milliseconds', () => {
    assert.equal(zoneOffsetMs('Europe/Berlin', new Date('2024-07-01T00:00:00Z')), 7_200_000);
    assert.equal(zoneOffsetMs('America/New_York', new Date('2024-01-01T00:00:00Z')), -18_000_000);
    assert.equal(zoneOffsetMs('UTC', now), 0);
  });
});

describe('isoSeconds', () => {
  it('drops fractions so MLSD and MDTM times compare as strings', () => {
    assert.equal(isoSeconds(new Date('2024-01-02T03:04:05.987Z')), '2024-01-02T03:04:05.000Z');
  });
});

describe('MDTM clock', () => {
  const winter = new Date('2026-12-03T12:00:00Z');
  it('is local when MDTM shows the same wall time as LIST (vsftpd use_localtime)', () => {
    const times = {
      listed: { month: 12, day: 3, hour: 19, minute: 18 },
      mdtm: new Date('2026-12-03T19:18:40Z'),
    };
    assert.equal(judgeMdtmClock(times, 'Europe/Berlin', winter), 'local');
    assert.equal(modifiedFrom(times, 'local', 'Europe/Berlin', winter), '2026-12-03T18:18:40.000Z');
  });
  it('is UTC when MDTM shows the LIST time minus the zone offset (RFC 3659)', () => {
    const times = {
      listed: { month: 7, day: 1, hour: 12, minute: 0 },
      mdtm: new Date('2026-07-01T10:00:07Z'),
    };
    assert.equal(judgeMdtmClock(times, 'Europe/Berlin', winter), 'utc');
    assert.equal(modifiedFrom(times, 'utc', 'Europe/Berlin', winter), '2026-07-01T10:00:07.000Z');
  });
  it('reads a chrooted vsftpd summer file with the offset it has now', () => {
    // vsftpd in a chroot fixes the offset at session start: 10:00Z in July shows as 11:00.
    const times = {
      listed: { month: 7, day: 1, hour: 11, minute: 0 },
      mdtm: new Date('2026-07-01T11:00:00Z'),
    };
    assert.equal(judgeMdtmClock(times, 'Europe/Berlin', winter), 'local');
    assert.equal(modifiedFrom(times, 'local', 'Europe/Berlin', winter), '2026-07-01T10:00:00.000Z');
  });
  it('cannot tell when the zone is UTC', () => {
    const times = {
      listed: { month: 12, day: 3, hour: 1, minute: 2 },
      mdtm: new Date('2026-12-03T01:02:03Z'),
    };
    assert.equal(judgeMdtmClock(times, 'UTC', winter), undefined);
  });
});
