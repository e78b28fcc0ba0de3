import fc from 'fast-check';
import { eachDay } from '../adherence/days';
import type { LocalDay } from '../adherence/types';
import { addDays } from '../local-time';
import { parseRtmMonth, rtmClaimLines, rtmLedger, rtmRisks } from './ledger';
import type {
  CareTimeEntry,
  CareTimeKind,
  DevicePeriodLedger,
  RtmEpisode,
  RtmLedgerInput,
  RtmShortfall,
} from './types';

// ---------------------------------------------------------------------------------------------
// Factories. The patient is in New York unless a table says otherwise; the month is December
// 2026 and "today" is 2026-12-10 unless a row says otherwise.
// ---------------------------------------------------------------------------------------------

const ZONE = 'America/New_York';
const MONTH = '2026-12';
const TODAY = '2026-12-10';

const episode = (overrides: Partial<RtmEpisode> = {}): RtmEpisode => ({
  id: 'episode-1',
  startDate: '2026-12-01',
  endDate: null,
  ...overrides,
});

const input = (overrides: Partial<RtmLedgerInput> = {}): RtmLedgerInput => ({
  month: MONTH,
  timezone: ZONE,
  today: TODAY,
  episodes: [episode()],
  dataDays: [],
  careTime: [],
  ...overrides,
});

/** `count` consecutive days from `from`. */
const days = (from: LocalDay, count: number): LocalDay[] =>
  count === 0 ? [] : eachDay({ from, to: addDays(from, count - 1) });

let entryId = 0;
/** A care-time entry at noon UTC on `day` (07:00 in New York) unless `startedAt` is given. */
const entry = (overrides: Partial<CareTimeEntry> & { day?: LocalDay } = {}): CareTimeEntry => {
  const { day = '2026-12-05', ...rest } = overrides;
  return {
    id: `entry-${++entryId}`,
    clinicianId: 'clinician-a',
    startedAt: new Date(`${day}T12:00:00Z`),
    minutes: 10,
    interactive: false,
    kind: 'data_review',
    voided: false,
    ...rest,
  };
};

const call = (minutes: number, overrides: Partial<CareTimeEntry> & { day?: LocalDay } = {}) =>
  entry({ minutes, interactive: true, kind: 'call', ...overrides });

const review = (minutes: number, overrides: Partial<CareTimeEntry> & { day?: LocalDay } = {}) =>
  entry({ minutes, interactive: false, kind: 'data_review', ...overrides });

/** `minutes` in the month: a call of up to 5 minutes by one clinician, the rest by another. */
const monthOfCare = (minutes: number): CareTimeEntry[] => {
  const onCall = Math.min(minutes, 5);
  return [
    call(onCall, { clinicianId: 'clinician-a' }),
    ...(minutes > onCall ? [review(minutes - onCall, { clinicianId: 'clinician-b' })] : []),
  ];
};

const periodOf = (
  periods: readonly DevicePeriodLedger[],
  episodeId: string,
  index: number,
): DevicePeriodLedger | undefined =>
  periods.find((p) => p.episodeId === episodeId && p.index === index);

const shortfall = (
  overrides: Partial<RtmShortfall> & Pick<RtmShortfall, 'code' | 'needed' | 'by'>,
): RtmShortfall => {
  const { needed, by } = overrides;
  const kind = overrides.kind ?? 'data_days';
  const unit = kind === 'minutes' ? 'minute' : 'data day';
  return {
    kind,
    reachable: true,
    text:
      kind === 'interactive_contact'
        ? `needs an interactive contact (call or video) by ${by}`
        : `needs ${needed} more ${unit}${needed === 1 ? '' : 's'} by ${by}`,
    ...overrides,
  };
};

// ---------------------------------------------------------------------------------------------

describe('parseRtmMonth', () => {
  it.each<{ name: string; month: string; expected: { first: string; last: string } | null }>([
    {
      name: 'reads a 31-day month',
      month: '2026-12',
      expected: { first: '2026-12-01', last: '2026-12-31' },
    },
    {
      name: 'reads a 30-day month',
      month: '2026-04',
      expected: { first: '2026-04-01', last: '2026-04-30' },
    },
    {
      name: 'reads February in a common year',
      month: '2026-02',
      expected: { first: '2026-02-01', last: '2026-02-28' },
    },
    {
      name: 'reads February in a leap year',
      month: '2028-02',
      expected: { first: '2028-02-01', last: '2028-02-29' },
    },
    {
      name: 'accepts the first year',
      month: '2000-01',
      expected: { first: '2000-01-01', last: '2000-01-31' },
    },
    {
      name: 'accepts the last year',
      month: '2100-12',
      expected: { first: '2100-12-01', last: '2100-12-31' },
    },
    { name: 'refuses the year before the first', month: '1999-12', expected: null },
    { name: 'refuses the year after the last', month: '2101-01', expected: null },
    { name: 'refuses month 00', month: '2026-00', expected: null },
    { name: 'refuses month 13', month: '2026-13', expected: null },
    { name: 'refuses a one-digit month', month: '2026-1', expected: null },
    { name: 'refuses a date', month: '2026-12-01', expected: null },
    { name: 'refuses surrounding spaces', month: ' 2026-12 ', expected: null },
    { name: 'refuses the empty string', month: '', expected: null },
    { name: 'refuses letters', month: 'abcd-ef', expected: null },
  ])('$name ($month)', ({ month, expected }) => {
    expect(parseRtmMonth(month)).toEqual(expected);
  });

  it('makes rtmLedger throw on a malformed month', () => {
    expect(() => rtmLedger(input({ month: '2026-13' }))).toThrow(RangeError);
  });
});

describe('device supply: the code of a closed period', () => {
  // Episode from 2026-11-01: period 0 is 2026-11-01 … 2026-11-30, over by 2026-12-10.
  it.each<{ name: string; dataDays: number; code: '98977' | '98985' | null }>([
    { name: 'no code with no data day', dataDays: 0, code: null },
    { name: 'no code with 1 data day', dataDays: 1, code: null },
    { name: '98985 with 2 data days', dataDays: 2, code: '98985' },
    { name: '98985 with 15 data days', dataDays: 15, code: '98985' },
    { name: '98977 with 16 data days', dataDays: 16, code: '98977' },
    { name: '98977 with 30 data days', dataDays: 30, code: '98977' },
  ])('$name', ({ dataDays, code }) => {
    const ledger = rtmLedger(
      input({
        month: '2026-11',
        episodes: [episode({ startDate: '2026-11-01' })],
        dataDays: days('2026-11-01', dataDays),
      }),
    );
    const period = periodOf(ledger.devicePeriods, 'episode-1', 0);
    expect(period).toMatchObject({
      from: '2026-11-01',
      to: '2026-11-30',
      closed: true,
      code,
      dateOfService: code === null ? null : '2026-11-30',
      missing: null,
    });
    expect(period?.dataDays).toHaveLength(dataDays);
    const lines = rtmClaimLines(ledger).filter((l) => l.code === '98977' || l.code === '98985');
    expect(lines.map((l) => l.code)).toEqual(code === null ? [] : [code]);
  });

  it('counts a day once however many times it is given, and ignores days outside the period', () => {
    const ledger = rtmLedger(
      input({
        month: '2026-11',
        episodes: [episode({ startDate: '2026-11-01' })],
        dataDays: ['2026-10-31', '2026-11-05', '2026-11-05', '2026-11-05', '2026-12-01'],
      }),
    );
    expect(periodOf(ledger.devicePeriods, 'episode-1', 0)).toMatchObject({
      dataDays: ['2026-11-05'],
      code: null,
    });
  });
});

describe('device supply: what is missing while the period runs', () => {
  // Episode from 2026-11-15: period 0 is 2026-11-15 … 2026-12-14, period 1 from 2026-12-15.
  const start = '2026-11-15';
  it.each<{
    name: string;
    dataDays: LocalDay[];
    today: LocalDay;
    index?: number;
    missing: RtmShortfall | null;
  }>([
    {
      name: '13 data days and 2 days left: 3 short of 98977, out of reach',
      dataDays: days(start, 13),
      today: '2026-12-13',
      missing: shortfall({ code: '98977', needed: 3, by: '2026-12-14', reachable: false }),
    },
    {
      name: '13 data days and 3 days left: 3 short of 98977, just in reach',
      dataDays: days(start, 13),
      today: '2026-12-12',
      missing: shortfall({ code: '98977', needed: 3, by: '2026-12-14', reachable: true }),
    },
    {
      name: '13 data days and 5 days left: 3 short of 98977, in reach',
      dataDays: days(start, 13),
      today: '2026-12-10',
      missing: shortfall({ code: '98977', needed: 3, by: '2026-12-14', reachable: true }),
    },
    {
      name: 'today does not count as a day left once it has data',
      dataDays: [...days(start, 12), '2026-12-12'],
      today: '2026-12-12',
      missing: shortfall({ code: '98977', needed: 3, by: '2026-12-14', reachable: false }),
    },
    {
      name: '15 data days on the last day: 1 short of 98977, today still counts',
      dataDays: days(start, 15),
      today: '2026-12-14',
      missing: shortfall({ code: '98977', needed: 1, by: '2026-12-14', reachable: true }),
    },
    {
      name: '16 data days: 98977 reached, nothing missing',
      dataDays: days(start, 16),
      today: '2026-12-10',
      missing: null,
    },
    {
      name: '1 data day on the last day: 1 short of 98985, in reach',
      dataDays: days(start, 1),
      today: '2026-12-14',
      missing: shortfall({ code: '98985', needed: 1, by: '2026-12-14', reachable: true }),
    },
    {
      name: 'no data day and only the last day left: 2 short of 98985, out of reach',
      dataDays: [],
      today: '2026-12-14',
      missing: shortfall({ code: '98985', needed: 2, by: '2026-12-14', reachable: false }),
    },
    {
      name: '2 data days: 98985 reached, the shortfall is now to 98977',
      dataDays: days(start, 2),
      today: '2026-12-10',
      missing: shortfall({ code: '98977', needed: 14, by: '2026-12-14', reachable: false }),
    },
    {
      name: 'a period still to come: 2 short of 98985, the whole period ahead',
      dataDays: [],
      today: '2026-12-10',
      index: 1,
      missing: shortfall({ code: '98985', needed: 2, by: '2027-01-13', reachable: true }),
    },
    {
      name: 'a closed period: nothing more to have',
      dataDays: days(start, 13),
      today: '2026-12-15',
      missing: null,
    },
  ])('$name', ({ dataDays, today, index = 0, missing }) => {
    const ledger = rtmLedger(input({ episodes: [episode({ startDate: start })], dataDays, today }));
    const period = periodOf(ledger.devicePeriods, 'episode-1', index);
    expect(period?.missing).toEqual(missing);
    expect(period?.dateOfService).toBe(period?.closed && period.code ? period.to : null);
  });
});

describe('device supply: periods and months', () => {
  it('lists a period crossing a month boundary in both months, billed in the month it ends', () => {
    // Period 0: 2026-11-20 … 2026-12-19; period 1: 2026-12-20 … 2027-01-18.
    const given = {
      episodes: [episode({ startDate: '2026-11-20' })],
      dataDays: days('2026-11-20', 16),
      today: '2027-01-20',
    };
    const november = rtmLedger(input({ ...given, month: '2026-11' }));
    const december = rtmLedger(input({ ...given, month: '2026-12' }));

    expect(november.devicePeriods.map((p) => [p.index, p.from, p.to])).toEqual([
      [0, '2026-11-20', '2026-12-19'],
    ]);
    expect(december.devicePeriods.map((p) => [p.index, p.from, p.to])).toEqual([
      [0, '2026-11-20', '2026-12-19'],
      [1, '2026-12-20', '2027-01-18'],
    ]);
    expect(november.devicePeriods[0]).toMatchObject({ code: '98977', dateOfService: '2026-12-19' });

    const codes = (lines: ReturnType<typeof rtmClaimLines>) => lines.map((l) => l.code);
    expect(codes(rtmClaimLines(november))).toEqual(['98975']);
    expect(codes(rtmClaimLines(december))).toEqual(['98977']);
  });

  it('never lets periods overlap, each 30 days long', () => {
    const ledger = rtmLedger(
      input({ month: '2027-01', episodes: [episode({ startDate: '2026-11-01' })] }),
    );
    expect(ledger.devicePeriods.map((p) => [p.index, p.from, p.to])).toEqual([
      [2, '2026-12-31', '2027-01-29'],
      [3, '2027-01-30', '2027-02-28'],
    ]);
  });

  it.each<{
    name: string;
    endDate: LocalDay;
    today: LocalDay;
    expected: Partial<DevicePeriodLedger> | null;
  }>([
    {
      name: 'clips the period at the episode end and closes it on that day',
      endDate: '2026-12-10',
      today: '2026-12-10',
      expected: {
        from: '2026-12-01',
        to: '2026-12-10',
        closed: true,
        code: '98985',
        dateOfService: '2026-12-10',
        missing: null,
      },
    },
    {
      name: 'keeps the clipped period open until the episode end',
      endDate: '2026-12-10',
      today: '2026-12-09',
      expected: {
        to: '2026-12-10',
        closed: false,
        code: '98985',
        dateOfService: null,
        missing: shortfall({ code: '98977', needed: 11, by: '2026-12-10', reachable: false }),
      },
    },
    {
      name: 'closes the clipped period when the episode ended before today',
      endDate: '2026-12-10',
      today: '2026-12-20',
      expected: { to: '2026-12-10', closed: true, dateOfService: '2026-12-10' },
    },
    {
      name: 'opens no period after the episode end',
      endDate: '2026-11-30',
      today: '2026-12-20',
      expected: null,
    },
  ])('$name', ({ endDate, today, expected }) => {
    // Episode from 2026-11-01: period 1 would run 2026-12-01 … 2026-12-30.
    const ledger = rtmLedger(
      input({
        episodes: [episode({ startDate: '2026-11-01', endDate })],
        dataDays: days('2026-12-01', 5),
        today,
      }),
    );
    const period = periodOf(ledger.devicePeriods, 'episode-1', 1);
    if (expected === null) expect(period).toBeUndefined();
    else expect(period).toMatchObject(expected);
  });

  it('lists the periods of every episode, in the order of their start', () => {
    const ledger = rtmLedger(
      input({
        episodes: [
          episode({ id: 'later', startDate: '2026-12-15' }),
          episode({ id: 'earlier', startDate: '2026-10-20', endDate: '2026-12-05' }),
        ],
      }),
    );
    expect(ledger.devicePeriods.map((p) => [p.episodeId, p.index, p.from, p.to])).toEqual([
      ['earlier', 1, '2026-11-19', '2026-12-05'],
      ['later', 0, '2026-12-15', '2027-01-13'],
    ]);
    expect(ledger.setup.map((s) => s.episodeId)).toEqual(['later']);
  });
});

describe('set-up (98975)', () => {
  // Episode from 2026-12-01: its first period runs to 2026-12-30.
  it.each<{
    name: string;
    startDate?: LocalDay;
    dataDays: LocalDay[];
    today?: LocalDay;
    met: boolean | null;
    date?: LocalDay | null;
    billed?: boolean;
    missing?: RtmShortfall | null;
  }>([
    {
      name: 'is met by 2 data days in the first period, dated on the second',
      dataDays: ['2026-12-03', '2026-12-04', '2026-12-09'],
      met: true,
      date: '2026-12-04',
      missing: null,
    },
    {
      name: 'is met before the first period is over',
      dataDays: ['2026-12-01', '2026-12-02'],
      today: '2026-12-02',
      met: true,
      date: '2026-12-02',
      missing: null,
    },
    {
      name: 'is not met by 1 data day; 1 more by the end of the first period',
      dataDays: ['2026-12-03'],
      met: false,
      missing: shortfall({ code: '98975', needed: 1, by: '2026-12-30', reachable: true }),
    },
    {
      name: 'counts only the first period',
      dataDays: ['2026-12-03', '2026-12-31'],
      today: '2027-01-05',
      met: false,
      missing: shortfall({ code: '98975', needed: 1, by: '2026-12-30', reachable: false }),
    },
    {
      name: 'is out of reach with no data day and one day left',
      dataDays: [],
      today: '2026-12-30',
      met: false,
      missing: shortfall({ code: '98975', needed: 2, by: '2026-12-30', reachable: false }),
    },
    {
      name: 'is listed while its first period reaches into the month, billed in the month it was met',
      startDate: '2026-11-20',
      dataDays: days('2026-11-20', 5),
      met: true,
      date: '2026-11-21',
      billed: false,
      missing: null,
    },
    {
      name: 'met in the month after the episode began: listed and billed then',
      startDate: '2026-11-20',
      dataDays: ['2026-11-29', '2026-12-02'],
      met: true,
      date: '2026-12-02',
      missing: null,
    },
    {
      name: 'is not listed once its first period ended before the month',
      startDate: '2026-10-20',
      dataDays: days('2026-10-20', 5),
      met: null,
    },
  ])(
    '$name',
    ({ startDate = '2026-12-01', dataDays, today = TODAY, met, date = null, billed, missing }) => {
      const ledger = rtmLedger(input({ episodes: [episode({ startDate })], dataDays, today }));
      if (met === null) {
        expect(ledger.setup).toEqual([]);
        return;
      }
      expect(ledger.setup).toEqual([
        { episodeId: 'episode-1', code: '98975', met, dateOfService: date, missing },
      ]);
      const setupLines = rtmClaimLines(ledger).filter((l) => l.code === '98975');
      expect(setupLines).toHaveLength((billed ?? met) ? 1 : 0);
    },
  );

  it('bills the set-up once, dated on the day it was met, with the data days as evidence', () => {
    const ledger = rtmLedger(input({ dataDays: ['2026-12-03', '2026-12-04'] }));
    expect(rtmClaimLines(ledger)).toEqual([
      {
        code: '98975',
        units: 1,
        dateOfService: '2026-12-04',
        from: '2026-12-01',
        to: '2026-12-30',
        evidence: {
          episodeId: 'episode-1',
          dataDayCount: 2,
          dataDays: ['2026-12-03', '2026-12-04'],
        },
      },
    ]);
  });
});

describe('treatment management: codes by minutes, with an interactive contact', () => {
  it.each<{
    name: string;
    minutes: number;
    codes: { code: string; units: number }[];
    next: RtmShortfall;
  }>([
    {
      name: 'no code for 0 minutes',
      minutes: 0,
      codes: [],
      next: shortfall({ code: '98979', kind: 'minutes', needed: 10, by: '2026-12-31' }),
    },
    {
      name: 'no code for 9 minutes',
      minutes: 9,
      codes: [],
      next: shortfall({ code: '98979', kind: 'minutes', needed: 1, by: '2026-12-31' }),
    },
    {
      name: '98979 for 10 minutes',
      minutes: 10,
      codes: [{ code: '98979', units: 1 }],
      next: shortfall({ code: '98980', kind: 'minutes', needed: 10, by: '2026-12-31' }),
    },
    {
      name: '98979 for 19 minutes',
      minutes: 19,
      codes: [{ code: '98979', units: 1 }],
      next: shortfall({ code: '98980', kind: 'minutes', needed: 1, by: '2026-12-31' }),
    },
    {
      name: '98980 alone (not with 98979) for 20 minutes',
      minutes: 20,
      codes: [{ code: '98980', units: 1 }],
      next: shortfall({ code: '98981', kind: 'minutes', needed: 20, by: '2026-12-31' }),
    },
    {
      name: '98980 for 39 minutes',
      minutes: 39,
      codes: [{ code: '98980', units: 1 }],
      next: shortfall({ code: '98981', kind: 'minutes', needed: 1, by: '2026-12-31' }),
    },
    {
      name: '98980 + 1 × 98981 for 40 minutes',
      minutes: 40,
      codes: [
        { code: '98980', units: 1 },
        { code: '98981', units: 1 },
      ],
      next: shortfall({ code: '98981', kind: 'minutes', needed: 20, by: '2026-12-31' }),
    },
    {
      name: '98980 + 1 × 98981 for 59 minutes',
      minutes: 59,
      codes: [
        { code: '98980', units: 1 },
        { code: '98981', units: 1 },
      ],
      next: shortfall({ code: '98981', kind: 'minutes', needed: 1, by: '2026-12-31' }),
    },
    {
      name: '98980 + 2 × 98981 for 60 minutes',
      minutes: 60,
      codes: [
        { code: '98980', units: 1 },
        { code: '98981', units: 2 },
      ],
      next: shortfall({ code: '98981', kind: 'minutes', needed: 20, by: '2026-12-31' }),
    },
    {
      name: '98980 + 4 × 98981 for 100 minutes',
      minutes: 100,
      codes: [
        { code: '98980', units: 1 },
        { code: '98981', units: 4 },
      ],
      next: shortfall({ code: '98981', kind: 'minutes', needed: 20, by: '2026-12-31' }),
    },
  ])('$name', ({ minutes, codes, next }) => {
    const t = rtmLedger(input({ careTime: monthOfCare(minutes) })).treatment;
    expect(t.totalMinutes).toBe(minutes);
    expect(t.codes).toEqual(codes);
    expect(t.missing).toEqual([next]);
    expect(t.dateOfService).toBeNull();

    const over = rtmLedger(input({ careTime: monthOfCare(minutes), today: '2027-01-01' }));
    expect(over.treatment.dateOfService).toBe(codes.length > 0 ? '2026-12-31' : null);
    expect(over.treatment.missing).toEqual([{ ...next, reachable: false }]);
    expect(
      rtmClaimLines(over)
        .filter((l) => l.code.startsWith('9898') || l.code === '98979')
        .map((l) => ({ code: l.code, units: l.units })),
    ).toEqual(codes);
  });
});

describe('treatment management: the interactive contact and voided entries', () => {
  it.each<{
    name: string;
    careTime: CareTimeEntry[];
    totalMinutes: number;
    codes: { code: string; units: number }[];
    missing: RtmShortfall[];
  }>([
    {
      name: 'no code for 30 minutes without an interactive contact',
      careTime: [review(20), review(10, { clinicianId: 'clinician-b' })],
      totalMinutes: 30,
      codes: [],
      missing: [
        shortfall({ code: '98980', kind: 'interactive_contact', needed: 1, by: '2026-12-31' }),
        shortfall({ code: '98981', kind: 'minutes', needed: 10, by: '2026-12-31' }),
      ],
    },
    {
      name: 'a message is not an interactive contact',
      careTime: [review(20), entry({ minutes: 10, kind: 'message', interactive: false })],
      totalMinutes: 30,
      codes: [],
      missing: [
        shortfall({ code: '98980', kind: 'interactive_contact', needed: 1, by: '2026-12-31' }),
        shortfall({ code: '98981', kind: 'minutes', needed: 10, by: '2026-12-31' }),
      ],
    },
    {
      name: 'a video is an interactive contact',
      careTime: [review(20), entry({ minutes: 10, kind: 'video', interactive: true })],
      totalMinutes: 30,
      codes: [{ code: '98980', units: 1 }],
      missing: [shortfall({ code: '98981', kind: 'minutes', needed: 10, by: '2026-12-31' })],
    },
    {
      name: 'a voided entry counts no minutes',
      careTime: [call(5), review(5), review(15, { voided: true })],
      totalMinutes: 10,
      codes: [{ code: '98979', units: 1 }],
      missing: [shortfall({ code: '98980', kind: 'minutes', needed: 10, by: '2026-12-31' })],
    },
    {
      name: 'a voided call is not the interactive contact',
      careTime: [review(25), call(10, { voided: true })],
      totalMinutes: 25,
      codes: [],
      missing: [
        shortfall({ code: '98980', kind: 'interactive_contact', needed: 1, by: '2026-12-31' }),
        shortfall({ code: '98981', kind: 'minutes', needed: 15, by: '2026-12-31' }),
      ],
    },
    {
      name: 'the contact below 10 minutes names 98979',
      careTime: [review(4)],
      totalMinutes: 4,
      codes: [],
      missing: [
        shortfall({ code: '98979', kind: 'interactive_contact', needed: 1, by: '2026-12-31' }),
        shortfall({ code: '98979', kind: 'minutes', needed: 6, by: '2026-12-31' }),
      ],
    },
  ])('$name', ({ careTime, totalMinutes, codes, missing }) => {
    const t = rtmLedger(input({ careTime })).treatment;
    expect(t.totalMinutes).toBe(totalMinutes);
    expect(t.codes).toEqual(codes);
    expect(t.missing).toEqual(missing);
  });

  it('sums the minutes of every clinician and lists the contacts in time order', () => {
    const careTime = [
      call(8, { id: 'late-call', clinicianId: 'clinician-b', day: '2026-12-20' }),
      review(7, { clinicianId: 'clinician-a' }),
      entry({ id: 'early-video', minutes: 6, kind: 'video', interactive: true, day: '2026-12-02' }),
      review(30, { clinicianId: 'clinician-c', voided: true }),
    ];
    const t = rtmLedger(input({ careTime })).treatment;
    expect(t.minutesByClinician).toEqual([
      { clinicianId: 'clinician-a', minutes: 13 },
      { clinicianId: 'clinician-b', minutes: 8 },
    ]);
    expect(t.totalMinutes).toBe(21);
    expect(t.interactiveContacts.map((c) => c.id)).toEqual(['early-video', 'late-call']);
    expect(t.codes).toEqual([{ code: '98980', units: 1 }]);
  });
});

describe('treatment management: the local month of an entry', () => {
  it.each<{ name: string; zone: string; startedAt: string; month: string; other: string }>([
    {
      name: '23:30 on 31 March in New York is 03:30 UTC on 1 April: March',
      zone: 'America/New_York',
      startedAt: '2026-04-01T03:30:00Z',
      month: '2026-03',
      other: '2026-04',
    },
    {
      name: '00:30 on 1 April in New York: April',
      zone: 'America/New_York',
      startedAt: '2026-04-01T04:30:00Z',
      month: '2026-04',
      other: '2026-03',
    },
    {
      name: 'Paris after the change to summer time (29 March): 00:15 CEST on 1 April, April',
      zone: 'Europe/Paris',
      startedAt: '2026-03-31T22:15:00Z',
      month: '2026-04',
      other: '2026-03',
    },
    {
      name: 'Paris after the change to summer time: 23:30 CEST on 31 March, March',
      zone: 'Europe/Paris',
      startedAt: '2026-03-31T21:30:00Z',
      month: '2026-03',
      other: '2026-04',
    },
    {
      name: 'Paris the night of the change (03:30 CEST on 29 March): March',
      zone: 'Europe/Paris',
      startedAt: '2026-03-29T01:30:00Z',
      month: '2026-03',
      other: '2026-04',
    },
    {
      name: 'Paris after the change back to winter time: 23:30 CET on 31 October, October',
      zone: 'Europe/Paris',
      startedAt: '2026-10-31T22:30:00Z',
      month: '2026-10',
      other: '2026-11',
    },
    {
      name: 'Kiritimati (UTC+14): 10:30 UTC on 30 April is 00:30 on 1 May, May',
      zone: 'Pacific/Kiritimati',
      startedAt: '2026-04-30T10:30:00Z',
      month: '2026-05',
      other: '2026-04',
    },
    {
      name: 'Pago Pago (UTC−11): 10:30 UTC on 1 May is 23:30 on 30 April, April',
      zone: 'Pacific/Pago_Pago',
      startedAt: '2026-05-01T10:30:00Z',
      month: '2026-04',
      other: '2026-05',
    },
    {
      name: 'Auckland (NZST, UTC+12): 12:30 UTC on 30 April is 00:30 on 1 May, May',
      zone: 'Pacific/Auckland',
      startedAt: '2026-04-30T12:30:00Z',
      month: '2026-05',
      other: '2026-04',
    },
    {
      name: 'Auckland: 11:30 UTC on 30 April is 23:30 on 30 April, April',
      zone: 'Pacific/Auckland',
      startedAt: '2026-04-30T11:30:00Z',
      month: '2026-04',
      other: '2026-05',
    },
  ])('$name', ({ zone, startedAt, month, other }) => {
    const careTime = [call(12, { startedAt: new Date(startedAt) })];
    const at = (m: string) =>
      rtmLedger(input({ month: m, timezone: zone, today: '2026-12-31', careTime, episodes: [] }))
        .treatment;
    expect(at(month)).toMatchObject({ totalMinutes: 12, codes: [{ code: '98979', units: 1 }] });
    expect(at(other)).toMatchObject({ totalMinutes: 0, codes: [], interactiveContacts: [] });
  });
});

describe('rtmClaimLines', () => {
  // Episode from 2026-11-20: period 0 ends 2026-12-19, period 1 runs 2026-12-20 … 2027-01-18.
  const given = (today: LocalDay) =>
    input({
      today,
      episodes: [episode({ startDate: '2026-11-20' })],
      dataDays: [...days('2026-11-20', 20), ...days('2026-12-20', 3)],
      careTime: [
        call(10, { clinicianId: 'clinician-a' }),
        review(35, { clinicianId: 'clinician-b' }),
      ],
    });

  it.each<{ name: string; today: LocalDay; codes: string[] }>([
    { name: 'none while the period and the month run', today: '2026-12-10', codes: [] },
    { name: 'the closed period only, mid-month', today: '2026-12-20', codes: ['98977'] },
    {
      name: 'the closed period and the month once it is over (not the period still running)',
      today: '2027-01-01',
      codes: ['98977', '98980', '98981'],
    },
    {
      name: 'nothing more after the period that ends in the next month closes',
      today: '2027-01-19',
      codes: ['98977', '98980', '98981'],
    },
  ])('$name', ({ today, codes }) => {
    expect(rtmClaimLines(rtmLedger(given(today))).map((l) => l.code)).toEqual(codes);
  });

  it('gives each line its dates, units and evidence', () => {
    expect(rtmClaimLines(rtmLedger(given('2027-01-01')))).toEqual([
      {
        code: '98977',
        units: 1,
        dateOfService: '2026-12-19',
        from: '2026-11-20',
        to: '2026-12-19',
        evidence: {
          episodeId: 'episode-1',
          periodIndex: 0,
          dataDayCount: 20,
          dataDays: days('2026-11-20', 20),
        },
      },
      ...[
        { code: '98980', units: 1 },
        { code: '98981', units: 1 },
      ].map((c) => ({
        ...c,
        dateOfService: '2026-12-31',
        from: '2026-12-01',
        to: '2026-12-31',
        evidence: {
          totalMinutes: 45,
          minutesByClinician: [
            { clinicianId: 'clinician-a', minutes: 10 },
            { clinicianId: 'clinician-b', minutes: 35 },
          ],
          interactiveContacts: [
            {
              id: expect.any(String),
              startedAt: '2026-12-05T12:00:00.000Z',
              kind: 'call',
              minutes: 10,
            },
          ],
        },
      })),
    ]);
  });

  it('bills the period that ends in the next month in that month', () => {
    const january = rtmLedger({ ...given('2027-01-19'), month: '2027-01', careTime: [] });
    expect(rtmClaimLines(january)).toEqual([
      expect.objectContaining({ code: '98985', dateOfService: '2027-01-18', from: '2026-12-20' }),
    ]);
  });
});

describe('rtmRisks', () => {
  it('lists the shortfalls still in reach, set-up, periods then the month', () => {
    const ledger = rtmLedger(
      input({
        today: '2026-12-13',
        episodes: [
          episode({ id: 'new', startDate: '2026-12-13' }), // starts today, no data yet
          episode({ id: 'short', startDate: '2026-11-15' }), // 13 data days, 2 days left
        ],
        dataDays: days('2026-11-15', 13),
        careTime: [review(12)],
      }),
    );
    expect(rtmRisks(ledger)).toEqual([
      shortfall({ code: '98975', needed: 2, by: '2027-01-11' }),
      shortfall({ code: '98985', needed: 2, by: '2027-01-13' }),
      shortfall({ code: '98985', needed: 2, by: '2027-01-11' }),
      shortfall({ code: '98979', kind: 'interactive_contact', needed: 1, by: '2026-12-31' }),
      shortfall({ code: '98980', kind: 'minutes', needed: 8, by: '2026-12-31' }),
    ]);
    // Left out: the 98977 shortfall of the older period (3 days short, 2 days left).
    expect(periodOf(ledger.devicePeriods, 'short', 0)?.missing).toMatchObject({
      code: '98977',
      needed: 3,
      reachable: false,
    });
  });

  it('lists nothing once the month and its periods are over', () => {
    const ledger = rtmLedger(
      input({
        month: '2026-11',
        today: '2027-01-01',
        episodes: [episode({ startDate: '2026-11-01', endDate: '2026-11-30' })],
        dataDays: days('2026-11-01', 3),
      }),
    );
    expect(rtmRisks(ledger)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const SEED = 20261203;
const KINDS: CareTimeKind[] = ['data_review', 'program_change', 'call', 'video', 'message'];
const DECEMBER_START = Date.parse('2026-12-01T05:00:00Z'); // 00:00 in New York

/** Entries from two days before December to two days after, in New York. */
const entryArb = fc.record({
  clinicianId: fc.constantFrom('clinician-a', 'clinician-b', 'clinician-c'),
  offsetMinutes: fc.integer({ min: -2 * 24 * 60, max: 33 * 24 * 60 }),
  minutes: fc.integer({ min: 0, max: 45 }),
  kind: fc.constantFrom(...KINDS),
  voided: fc.boolean(),
});

const toEntries = (
  raw: {
    clinicianId: string;
    offsetMinutes: number;
    minutes: number;
    kind: CareTimeKind;
    voided: boolean;
  }[],
  prefix = 'e',
): CareTimeEntry[] =>
  raw.map((r, i) => ({
    id: `${prefix}-${i}`,
    clinicianId: r.clinicianId,
    startedAt: new Date(DECEMBER_START + r.offsetMinutes * 60_000),
    minutes: r.minutes,
    interactive: r.kind === 'call' || r.kind === 'video',
    kind: r.kind,
    voided: r.voided,
  }));

const dayArb = fc.integer({ min: 0, max: 91 }).map((n) => addDays('2026-11-01', n));

const scenarioArb = fc.record({
  entries: fc.array(entryArb, { maxLength: 12 }).map((raw) => toEntries(raw)),
  dataDays: fc.array(dayArb, { maxLength: 60 }),
  today: dayArb,
  startDate: fc.integer({ min: 0, max: 60 }).map((n) => addDays('2026-10-15', n)),
  length: fc.option(fc.integer({ min: 1, max: 90 }), { nil: null }),
});

const scenarioInput = (s: {
  entries: CareTimeEntry[];
  dataDays: LocalDay[];
  today: LocalDay;
  startDate: LocalDay;
  length: number | null;
}): RtmLedgerInput =>
  input({
    today: s.today,
    episodes: [
      episode({
        startDate: s.startDate,
        endDate: s.length === null ? null : addDays(s.startDate, s.length - 1),
      }),
    ],
    dataDays: s.dataDays,
    careTime: s.entries,
  });

const units = (codes: readonly { units: number }[]) => codes.reduce((sum, c) => sum + c.units, 0);

describe('properties', () => {
  it('a voided entry never changes the ledger or its claim lines', () => {
    fc.assert(
      fc.property(scenarioArb, entryArb, (s, extra) => {
        const given = scenarioInput(s);
        const voided = toEntries([{ ...extra, voided: true }], 'voided')[0];
        const before = rtmLedger(given);
        const after = rtmLedger({ ...given, careTime: [...given.careTime, voided] });
        expect(after).toEqual(before);
        expect(rtmClaimLines(after)).toEqual(rtmClaimLines(before));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('reordering the entries and the data days (or repeating days) never changes the ledger', () => {
    fc.assert(
      fc.property(
        scenarioArb.chain((s) =>
          fc.record({
            s: fc.constant(s),
            entries: fc.shuffledSubarray(s.entries, {
              minLength: s.entries.length,
              maxLength: s.entries.length,
            }),
            dataDays: fc.shuffledSubarray(s.dataDays, {
              minLength: s.dataDays.length,
              maxLength: s.dataDays.length,
            }),
            repeated: fc.subarray(s.dataDays),
          }),
        ),
        ({ s, entries, dataDays, repeated }) => {
          const given = scenarioInput(s);
          const reordered = scenarioInput({ ...s, entries, dataDays: [...dataDays, ...repeated] });
          expect(rtmLedger(reordered)).toEqual(rtmLedger(given));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('more minutes never yield fewer units', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 27 }),
        fc.boolean(),
        (s, minutes, day, interactive) => {
          const given = scenarioInput(s);
          const more = entry({
            minutes,
            interactive,
            kind: interactive ? 'call' : 'data_review',
            day: addDays('2026-12-01', day),
          });
          const before = rtmLedger(given).treatment;
          const after = rtmLedger({ ...given, careTime: [...given.careTime, more] }).treatment;
          expect(after.totalMinutes).toBeGreaterThanOrEqual(before.totalMinutes);
          expect(units(after.codes)).toBeGreaterThanOrEqual(units(before.codes));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('units grow with the minutes of a month with a contact', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const at = (m: number) => rtmLedger(input({ careTime: [call(m)] })).treatment.codes;
        expect(units(at(high))).toBeGreaterThanOrEqual(units(at(low)));
        // 98979 and 98980 never together.
        const codes = at(high).map((c) => c.code);
        expect(codes.includes('98979') && codes.includes('98980')).toBe(false);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
