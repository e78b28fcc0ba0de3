import { dayCount, eachDay, isWithin } from '../adherence/days';
import type { DayRange, LocalDay } from '../adherence/types';
import { addDays, addMonths, localDateOf } from '../local-time';
import type {
  CareTimeEntry,
  DevicePeriodLedger,
  RtmClaimLine,
  RtmCode,
  RtmEpisode,
  RtmLedger,
  RtmLedgerInput,
  RtmShortfall,
  SetupLedger,
  TreatmentLedger,
} from './types';

// The 2026 RTM rules (docs/rtm.md has them with their sources). Every day here is a calendar day
// in the patient's time zone; every "today" comes from the caller.

/** Device-supply periods: 30 days from the episode's first day, back to back. */
const PERIOD_DAYS = 30;
/** 98985: 2–15 data days in a period; 98977: 16–30. */
const SUPPLY_SHORT_DAYS = 2;
const SUPPLY_FULL_DAYS = 16;
/** 98975: our reading of 2026 — at least 2 data days in the episode's first period. */
const SETUP_DAYS = 2;
/** 98979: 10–19 minutes in the month; 98980: 20+; 98981: each further full 20. */
const FIRST_MINUTES = 10;
const BASE_MINUTES = 20;
const ADDON_MINUTES = 20;

const MONTH = /^(\d{4})-(\d{2})$/;

/**
 * The first and last local days of a `YYYY-MM` month (month 01–12, year 2000–2100); null for
 * anything else.
 */
export function parseRtmMonth(month: string): { first: LocalDay; last: LocalDay } | null {
  if (typeof month !== 'string') return null;
  const m = MONTH.exec(month);
  if (!m) return null;
  const year = Number(m[1]);
  const monthNumber = Number(m[2]);
  if (year < 2000 || year > 2100 || monthNumber < 1 || monthNumber > 12) return null;
  const first = `${m[1]}-${m[2]}-01`;
  return { first, last: addDays(addMonths(first, 1), -1) };
}

/**
 * The RTM ledger of one patient for one calendar month: the set-up of each episode that starts
 * in the month, every device-supply period that overlaps it, and the month's treatment
 * management. Throws a RangeError for a malformed month (use parseRtmMonth first).
 */
export function rtmLedger(input: RtmLedgerInput): RtmLedger {
  const month = parseRtmMonth(input.month);
  if (!month) throw new RangeError(`not a month (YYYY-MM, 2000–2100): ${input.month}`);
  const range: DayRange = { from: month.first, to: month.last };
  const dataDays = new Set(input.dataDays);
  const episodes = input.episodes
    .filter((e) => e.endDate === null || e.endDate >= e.startDate)
    .sort((a, b) => compare(a.startDate, b.startDate) || compare(a.id, b.id));

  // The set-up is shown in every month its first period overlaps (it can be met in any of
  // them), and billed in the month it was met (rtmClaimLines).
  const setup = episodes
    .filter((e) => overlaps(periodOf(e, 0), range))
    .map((e) => setupLedger(e, dataDays, input.today));
  const devicePeriods = episodes.flatMap((e) =>
    periodsOverlapping(e, range).map((p) => periodLedger(e, p, dataDays, input.today)),
  );
  return {
    month: input.month,
    setup,
    devicePeriods,
    treatment: treatmentLedger(input, range),
  };
}

/**
 * The billable lines of a ledger: each met set-up; each closed period with a code whose date of
 * service falls in the ledger's month (a period listed in two months is billed once, in the
 * month it ends); the month's treatment codes once the month is over.
 */
export function rtmClaimLines(ledger: RtmLedger): RtmClaimLine[] {
  const month = parseRtmMonth(ledger.month);
  if (!month) throw new RangeError(`not a month (YYYY-MM, 2000–2100): ${ledger.month}`);
  const range: DayRange = { from: month.first, to: month.last };
  const lines: RtmClaimLine[] = [];

  for (const s of ledger.setup) {
    if (!s.met || s.dateOfService === null || !isWithin(s.dateOfService, range)) continue;
    const first = ledger.devicePeriods.find((p) => p.episodeId === s.episodeId && p.index === 0);
    lines.push({
      code: '98975',
      units: 1,
      dateOfService: s.dateOfService,
      from: first?.from ?? s.dateOfService,
      to: first?.to ?? s.dateOfService,
      evidence: {
        episodeId: s.episodeId,
        dataDayCount: first?.dataDays.length ?? null,
        dataDays: first ? [...first.dataDays] : [],
      },
    });
  }

  for (const p of ledger.devicePeriods) {
    if (!p.closed || p.code === null || p.dateOfService === null) continue;
    if (!isWithin(p.dateOfService, range)) continue;
    lines.push({
      code: p.code,
      units: 1,
      dateOfService: p.dateOfService,
      from: p.from,
      to: p.to,
      evidence: {
        episodeId: p.episodeId,
        periodIndex: p.index,
        dataDayCount: p.dataDays.length,
        dataDays: [...p.dataDays],
      },
    });
  }

  const t = ledger.treatment;
  if (t.dateOfService !== null) {
    const evidence = {
      totalMinutes: t.totalMinutes,
      minutesByClinician: t.minutesByClinician.map((c) => ({ ...c })),
      interactiveContacts: t.interactiveContacts.map((c) => ({
        id: c.id,
        startedAt: c.startedAt.toISOString(),
        kind: c.kind,
        minutes: c.minutes,
      })),
    };
    for (const c of t.codes) {
      lines.push({
        code: c.code,
        units: c.units,
        dateOfService: t.dateOfService,
        from: range.from,
        to: range.to,
        evidence,
      });
    }
  }
  return lines;
}

/**
 * The shortfalls that can still be made up (a clinician's worklist): data days short of a set-up
 * or device-supply code, minutes short of the next treatment code, and a missing interactive
 * contact, each while there is still time.
 */
export function rtmRisks(ledger: RtmLedger): RtmShortfall[] {
  return [
    ...ledger.setup.map((s) => s.missing),
    ...ledger.devicePeriods.map((p) => p.missing),
    ...ledger.treatment.missing,
  ].filter((s): s is RtmShortfall => s !== null && s.reachable);
}

// ---------------------------------------------------------------------------------------------
// Set-up and device supply
// ---------------------------------------------------------------------------------------------

function setupLedger(episode: RtmEpisode, dataDays: Set<LocalDay>, today: LocalDay): SetupLedger {
  const first = periodOf(episode, 0);
  const days = dataDaysIn(first, dataDays);
  const count = days.length;
  const met = count >= SETUP_DAYS;
  return {
    episodeId: episode.id,
    code: '98975',
    met,
    // The day its condition was met: the first period's second data day.
    dateOfService: met ? days[SETUP_DAYS - 1] : null,
    missing: met ? null : dataDayShortfall('98975', SETUP_DAYS - count, first, dataDays, today),
  };
}

function periodLedger(
  episode: RtmEpisode,
  period: DayRange & { index: number },
  dataDays: Set<LocalDay>,
  today: LocalDay,
): DevicePeriodLedger {
  const days = dataDaysIn(period, dataDays);
  const code = supplyCode(days.length);
  const closed =
    today > period.to ||
    (episode.endDate !== null && period.to === episode.endDate && episode.endDate <= today);
  let missing: RtmShortfall | null = null;
  if (!closed && code !== '98977') {
    missing =
      code === null
        ? dataDayShortfall('98985', SUPPLY_SHORT_DAYS - days.length, period, dataDays, today)
        : dataDayShortfall('98977', SUPPLY_FULL_DAYS - days.length, period, dataDays, today);
  }
  return {
    episodeId: episode.id,
    index: period.index,
    from: period.from,
    to: period.to,
    dataDays: days,
    code,
    dateOfService: closed && code !== null ? period.to : null,
    closed,
    missing,
  };
}

function supplyCode(dataDayCount: number): '98977' | '98985' | null {
  if (dataDayCount >= SUPPLY_FULL_DAYS) return '98977';
  if (dataDayCount >= SUPPLY_SHORT_DAYS) return '98985';
  return null;
}

/** Period `index` of an episode: 30 days from start + 30 × index, cut at the episode's end. */
function periodOf(episode: RtmEpisode, index: number): DayRange & { index: number } {
  const from = addDays(episode.startDate, PERIOD_DAYS * index);
  const full = addDays(from, PERIOD_DAYS - 1);
  const to = episode.endDate !== null && episode.endDate < full ? episode.endDate : full;
  return { index, from, to };
}

/** The episode's periods that share at least one day with `range`. */
function periodsOverlapping(
  episode: RtmEpisode,
  range: DayRange,
): (DayRange & { index: number })[] {
  const last = episode.endDate !== null && episode.endDate < range.to ? episode.endDate : range.to;
  if (episode.startDate > last) return [];
  // The period holding the range's first day (or the first period, if the episode starts later).
  let index =
    range.from > episode.startDate
      ? Math.floor((dayCount({ from: episode.startDate, to: range.from }) - 1) / PERIOD_DAYS)
      : 0;
  const periods: (DayRange & { index: number })[] = [];
  for (let p = periodOf(episode, index); p.from <= last; p = periodOf(episode, ++index)) {
    if (p.to >= range.from) periods.push(p);
  }
  return periods;
}

function dataDaysIn(range: DayRange, dataDays: Set<LocalDay>): LocalDay[] {
  return eachDay(range).filter((day) => dataDays.has(day));
}

/**
 * Days of `range` still able to become data days: from today (or the range's start, if later)
 * to its end, less those that already have data. Today counts only while it has none.
 */
function daysLeft(range: DayRange, dataDays: Set<LocalDay>, today: LocalDay): number {
  const from = today > range.from ? today : range.from;
  return eachDay({ from, to: range.to }).filter((day) => !dataDays.has(day)).length;
}

function dataDayShortfall(
  code: RtmCode,
  needed: number,
  range: DayRange,
  dataDays: Set<LocalDay>,
  today: LocalDay,
): RtmShortfall {
  return {
    code,
    kind: 'data_days',
    needed,
    by: range.to,
    reachable: needed <= daysLeft(range, dataDays, today),
    text: `needs ${needed} more data ${needed === 1 ? 'day' : 'days'} by ${range.to}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Treatment management
// ---------------------------------------------------------------------------------------------

function treatmentLedger(input: RtmLedgerInput, range: DayRange): TreatmentLedger {
  const entries = input.careTime.filter(
    // The local day stored with the entry when there is one: the patient's zone when it was
    // logged (a later move of zone does not move it to another month).
    (e) => !e.voided && isWithin(e.localDate ?? localDateOf(e.startedAt, input.timezone), range),
  );
  const byClinician = new Map<string, number>();
  for (const e of entries) {
    byClinician.set(e.clinicianId, (byClinician.get(e.clinicianId) ?? 0) + minutesOf(e));
  }
  const minutesByClinician = [...byClinician]
    .sort(([a], [b]) => compare(a, b))
    .map(([clinicianId, minutes]) => ({ clinicianId, minutes }));
  const totalMinutes = minutesByClinician.reduce((sum, c) => sum + c.minutes, 0);
  const interactiveContacts = entries
    .filter((e) => e.interactive)
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || compare(a.id, b.id))
    .map((e) => ({ id: e.id, startedAt: e.startedAt, kind: e.kind, minutes: minutesOf(e) }));

  const codes = interactiveContacts.length > 0 ? treatmentCodes(totalMinutes) : [];
  const over = input.today > range.to;
  const missing: RtmShortfall[] = [];
  if (interactiveContacts.length === 0) {
    missing.push({
      code: totalMinutes >= BASE_MINUTES ? '98980' : '98979',
      kind: 'interactive_contact',
      needed: 1,
      by: range.to,
      reachable: !over,
      text: `needs an interactive contact (call or video) by ${range.to}`,
    });
  }
  const next = nextTreatmentCode(totalMinutes);
  const needed = next.minutes - totalMinutes;
  missing.push({
    code: next.code,
    kind: 'minutes',
    needed,
    by: range.to,
    reachable: !over,
    text: `needs ${needed} more ${needed === 1 ? 'minute' : 'minutes'} by ${range.to}`,
  });

  return {
    month: input.month,
    minutesByClinician,
    totalMinutes,
    interactiveContacts,
    codes,
    dateOfService: over && codes.length > 0 ? range.to : null,
    missing,
  };
}

/** An entry's minutes; a negative or non-numeric value counts as none. */
function minutesOf(entry: CareTimeEntry): number {
  return Number.isFinite(entry.minutes) && entry.minutes > 0 ? entry.minutes : 0;
}

/** The month's codes for its minutes, given an interactive contact. */
function treatmentCodes(minutes: number): TreatmentLedger['codes'] {
  if (minutes < FIRST_MINUTES) return [];
  if (minutes < BASE_MINUTES) return [{ code: '98979', units: 1 }];
  const addOns = Math.floor((minutes - BASE_MINUTES) / ADDON_MINUTES);
  return addOns > 0
    ? [
        { code: '98980', units: 1 },
        { code: '98981', units: addOns },
      ]
    : [{ code: '98980', units: 1 }];
}

/** The next code the minutes can reach, and the month's total it takes. */
function nextTreatmentCode(minutes: number): {
  code: '98979' | '98980' | '98981';
  minutes: number;
} {
  if (minutes < FIRST_MINUTES) return { code: '98979', minutes: FIRST_MINUTES };
  if (minutes < BASE_MINUTES) return { code: '98980', minutes: BASE_MINUTES };
  const units = Math.floor((minutes - BASE_MINUTES) / ADDON_MINUTES);
  return { code: '98981', minutes: BASE_MINUTES + (units + 1) * ADDON_MINUTES };
}

function overlaps(a: DayRange, b: DayRange): boolean {
  return a.from <= b.to && b.from <= a.to;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
