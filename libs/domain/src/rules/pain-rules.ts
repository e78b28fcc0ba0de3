import { addMonths, localDateOf } from '../local-time';
import { isLegSite, PainContext, PainSide, PainSite, siteDistance } from '../pain';
import type { RedFlagQuestion } from '../red-flags';
import {
  BaselinePain,
  DEFAULT_RULE_SETTINGS,
  Finding,
  PainObservation,
  PainRuleInput,
  RuleSettings,
} from './types';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
// A before-session report given on its own pairs with an after-session report this close.
const SESSION_PAIR_MAX_HOURS = 6;
const CONTEXT_ORDER: Record<PainContext, number> = {
  baseline: 0,
  before_session: 1,
  after_session: 2,
  next_day: 3,
};
// Leg sites proper: bilateral pain here is "symptoms in both legs" (a cauda equina red flag).
const BILATERAL_LEG_SITES: readonly PainSite[] = ['thigh', 'calf', 'foot'];

/** An at-rest report: what PERSISTENT_FLARE reads as "the next day" 12–36 h after a session. */
function atRest(r: PainObservation): boolean {
  return r.context === 'baseline' || r.context === 'next_day';
}

function chronological(a: PainObservation, b: PainObservation): number {
  return (
    a.reportedAt.getTime() - b.reportedAt.getTime() ||
    CONTEXT_ORDER[a.context] - CONTEXT_ORDER[b.context] ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

function summary(r: PainObservation): Record<string, unknown> {
  return {
    reportId: r.id,
    reportedAt: r.reportedAt.toISOString(),
    intensity: r.intensity,
    mostDistalSite: r.mostDistalSite,
    side: r.side,
    context: r.context,
  };
}

/** Which legs a report's leg pain is in; `unknown` when the side was not given. */
function legSides(
  site: PainSite,
  side: PainSide | null | undefined,
): Set<'left' | 'right'> | 'unknown' {
  if (!isLegSite(site)) return new Set();
  if (side === 'both') return new Set(['left', 'right']);
  if (side === 'left' || side === 'right') return new Set([side]);
  return 'unknown';
}

/** Legs with pain in `now` that had none in `before`; empty when nothing can be said. */
function newLegSides(
  before: { mostDistalSite: PainSite; side?: PainSide | null },
  now: { mostDistalSite: PainSite; side: PainSide | null },
): string[] {
  const current = legSides(now.mostDistalSite, now.side);
  if (current !== 'unknown' && current.size === 0) return [];
  const earlier = legSides(before.mostDistalSite, before.side);
  if (earlier !== 'unknown' && earlier.size === 0) {
    return current === 'unknown' ? ['unknown'] : [...current];
  }
  if (current === 'unknown' || earlier === 'unknown') return [];
  return [...current].filter((s) => !earlier.has(s));
}

interface Timeline {
  readonly all: readonly PainObservation[];
  previous(report: PainObservation): PainObservation | null;
  baseline(report: PainObservation): { pain: BaselinePain; source: Record<string, unknown> } | null;
  sessionBefore(after: PainObservation): PainObservation | null;
}

function timeline(input: PainRuleInput, now: Date): Timeline {
  const byId = new Map<string, PainObservation>();
  for (const r of [...input.history, ...input.newReports]) {
    if (r.reportedAt.getTime() <= now.getTime()) byId.set(r.id, r);
  }
  const all = [...byId.values()].sort(chronological);
  // How many reports come before `report` (all is in order: a binary search). Every rule asks
  // this for every report it evaluates, over histories of a few hundred reports.
  const countBefore = (report: PainObservation) => {
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (chronological(all[mid], report) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const firstAtRest = all.findIndex((r) => r.context === 'baseline');
  return {
    all,
    previous: (report) => all[countBefore(report) - 1] ?? null,
    // The patient's baseline: the pain recorded at enrolment; without one, the first at-rest
    // (`baseline`) report. Later at-rest reports never move it, or a slow worsening would
    // carry its own baseline along and never show as a trend.
    baseline: (report) => {
      const recorded = input.patient.baselinePain;
      if (recorded) return { pain: recorded, source: { kind: 'patient_record', ...recorded } };
      if (firstAtRest < 0 || firstAtRest >= countBefore(report)) return null;
      const first = all[firstAtRest];
      return { pain: first, source: { kind: 'baseline_report', ...summary(first) } };
    },
    sessionBefore: (after) => {
      const before = countBefore(after);
      if (after.sessionId) {
        for (let i = 0; i < before; i++) {
          const r = all[i];
          if (r.sessionId === after.sessionId && r.context === 'before_session') return r;
        }
        return null;
      }
      let candidate: PainObservation | null = null;
      for (let i = before - 1; i >= 0 && !candidate; i--) {
        const r = all[i];
        if (r.context === 'before_session' || r.context === 'after_session') candidate = r;
      }
      if (!candidate || candidate.context !== 'before_session') return null;
      const gap = after.reportedAt.getTime() - candidate.reportedAt.getTime();
      return gap <= SESSION_PAIR_MAX_HOURS * HOUR_MS ? candidate : null;
    },
  };
}

function redFlagFindings(report: PainObservation): Finding[] {
  const answers = report.redFlags ?? {};
  const yes = (q: RedFlagQuestion) => answers[q] === true;
  const findings: Finding[] = [];

  const caudaAnswers = (['saddleNumbness', 'bladderBowelChange', 'bothLegs'] as const).filter(yes);
  const bilateralReport =
    report.side === 'both' && BILATERAL_LEG_SITES.includes(report.mostDistalSite);
  if (caudaAnswers.length > 0 || bilateralReport) {
    findings.push({
      rule: 'RED_FLAG_CAUDA_EQUINA',
      severity: 'urgent',
      action: 'seek_urgent_care',
      programEffect: null,
      reportId: report.id,
      evidence: {
        answeredYes: caudaAnswers,
        bilateralLegPain: bilateralReport,
        report: summary(report),
      },
    });
  }
  if (yes('legWeakness')) {
    findings.push({
      rule: 'RED_FLAG_MOTOR',
      severity: 'urgent',
      action: 'seek_urgent_care',
      programEffect: null,
      reportId: report.id,
      evidence: { answeredYes: ['legWeakness'], report: summary(report) },
    });
  }
  const systemic = (['fever', 'weightLoss', 'nightPain'] as const).filter(yes);
  if (systemic.length > 0) {
    const urgent = systemic.includes('fever');
    findings.push({
      rule: 'RED_FLAG_SYSTEMIC',
      severity: urgent ? 'urgent' : 'warning',
      action: urgent ? 'seek_urgent_care' : 'contact_clinician',
      programEffect: null,
      reportId: report.id,
      evidence: { answeredYes: systemic, report: summary(report) },
    });
  }
  return findings;
}

/**
 * Peripheralization (worse) or centralization (better), against the session's start, else the
 * last report, else (the first report since enrolment) the pain recorded at enrolment.
 */
function siteMovementFindings(
  report: PainObservation,
  t: Timeline,
  patient: PainRuleInput['patient'],
): Finding[] {
  const sessionStart = report.context === 'after_session' ? t.sessionBefore(report) : null;
  const previous = sessionStart ? null : t.previous(report);
  const enrolment = sessionStart || previous ? null : patient.baselinePain;
  const reference = sessionStart ?? previous ?? enrolment;
  if (!reference) return [];
  const moved = siteDistance(report.mostDistalSite) - siteDistance(reference.mostDistalSite);
  if (moved === 0) return [];
  const evidence = {
    comparedWith: sessionStart
      ? 'before_session'
      : previous
        ? 'previous_report'
        : 'enrolment_baseline',
    reference: sessionStart
      ? summary(sessionStart)
      : previous
        ? summary(previous)
        : { kind: 'patient_record', ...enrolment },
    report: summary(report),
  };
  return moved > 0
    ? [
        {
          rule: 'PERIPHERALIZATION',
          severity: 'warning',
          action: 'pause_exercises',
          programEffect: 'pause',
          reportId: report.id,
          evidence,
        },
      ]
    : [
        {
          rule: 'CENTRALIZING',
          severity: 'positive',
          action: 'continue',
          programEffect: null,
          reportId: report.id,
          evidence,
        },
      ];
}

/** Leg or buttock pain where the baseline had none (including the other leg), newly appeared. */
function newLegPainFindings(report: PainObservation, t: Timeline): Finding[] {
  const baseline = t.baseline(report);
  if (!baseline) return [];
  let sides = newLegSides(baseline.pain, report);
  // Only when it appears: a leg already painful in the last report is not new again.
  const previous = t.previous(report);
  if (previous && sides.length > 0) {
    const had = legSides(previous.mostDistalSite, previous.side);
    sides =
      had === 'unknown'
        ? []
        : sides.filter((side) =>
            side === 'unknown' ? had.size === 0 : !had.has(side as 'left' | 'right'),
          );
  }
  if (sides.length === 0) return [];
  return [
    {
      rule: 'NEW_LEG_PAIN',
      severity: 'warning',
      action: 'pause_exercises',
      programEffect: 'pause',
      reportId: report.id,
      evidence: { baseline: baseline.source, newSides: sides, report: summary(report) },
    },
  ];
}

/** Pain right after a session compared with just before it. */
function afterSessionFindings(report: PainObservation, t: Timeline, s: RuleSettings): Finding[] {
  if (report.context !== 'after_session') return [];
  const before = t.sessionBefore(report);
  if (!before) return [];
  const rise = report.intensity - before.intensity;
  const findings: Finding[] = [];
  const evidence = { before: summary(before), after: summary(report), rise };
  if (isLegSite(report.mostDistalSite) && rise >= s.legPainWorseDelta) {
    findings.push({
      rule: 'LEG_PAIN_WORSE',
      severity: 'warning',
      action: 'contact_clinician',
      programEffect: null,
      reportId: report.id,
      evidence: { ...evidence, threshold: s.legPainWorseDelta },
    });
  }
  if (rise > 0) {
    findings.push({
      rule: 'INCREASED_PAIN_AFTER_EXERCISE',
      severity: 'info',
      action: 'review_with_clinician',
      programEffect: null,
      reportId: report.id,
      evidence,
    });
  }
  return findings;
}

/**
 * Much worse right after exercise and still worse the next day: stop everything. The next day
 * is any at-rest report (`baseline` or `next_day`) 12–36 h after the session.
 */
function persistentFlareFindings(report: PainObservation, t: Timeline, s: RuleSettings): Finding[] {
  const inWindow = (after: PainObservation, nextDay: PainObservation) => {
    const hours = (nextDay.reportedAt.getTime() - after.reportedAt.getTime()) / HOUR_MS;
    return hours >= s.flareNextDayMinHours && hours <= s.flareNextDayMaxHours;
  };
  const flare = (after: PainObservation, nextDay: PainObservation): Finding | null => {
    // The window first: it is one subtraction, the session's start a search of the history.
    if (!inWindow(after, nextDay)) return null;
    const before = t.sessionBefore(after);
    if (!before) return null;
    const limit = before.intensity + s.flareDelta;
    if (after.intensity < limit || nextDay.intensity < limit) return null;
    return {
      rule: 'PERSISTENT_FLARE',
      severity: 'warning',
      action: 'stop_all_exercises',
      programEffect: 'suspend',
      reportId: report.id,
      evidence: {
        before: summary(before),
        after: summary(after),
        nextDay: summary(nextDay),
        threshold: s.flareDelta,
        hoursAfterSession: (nextDay.reportedAt.getTime() - after.reportedAt.getTime()) / HOUR_MS,
      },
    };
  };
  if (atRest(report)) {
    const afters = t.all
      .filter((r) => r.context === 'after_session' && chronological(r, report) < 0)
      .reverse();
    for (const after of afters) {
      const found = flare(after, report);
      if (found) return [found];
    }
  }
  if (report.context === 'after_session') {
    // The session may be posted late, after its next-day report.
    const nextDays = t.all.filter((r) => atRest(r) && chronological(r, report) > 0);
    for (const nextDay of nextDays) {
      const found = flare(report, nextDay);
      if (found) return [found];
    }
  }
  return [];
}

/**
 * Mean pain over the last days well above the patient's baseline: a trend, so at least two
 * reports on at least two of the patient's local days in the window.
 */
function painTrendFindings(
  report: PainObservation,
  t: Timeline,
  patient: PainRuleInput['patient'],
  s: RuleSettings,
): Finding[] {
  const baseline = t.baseline(report);
  if (!baseline) return [];
  const end = report.reportedAt.getTime();
  const start = end - s.painTrendWindowDays * DAY_MS;
  const window = t.all.filter(
    (r) => r.reportedAt.getTime() > start && chronological(r, report) <= 0,
  );
  if (window.length < 2) return [];
  // Local days follow instants, so the window spans two days exactly when its first and last
  // reports fall on different ones: two conversions, not one per report.
  const dayOf = (r: PainObservation) => localDateOf(r.reportedAt, patient.timezone);
  if (dayOf(window[0]) === dayOf(window[window.length - 1])) return [];
  const mean = window.reduce((sum, r) => sum + r.intensity, 0) / window.length;
  if (mean < baseline.pain.intensity + s.painTrendDelta) return [];
  const days = new Set(window.map(dayOf));
  return [
    {
      rule: 'PAIN_TREND_WORSE',
      severity: 'warning',
      action: 'contact_clinician',
      programEffect: null,
      reportId: report.id,
      evidence: {
        windowStart: new Date(start).toISOString(),
        windowEnd: report.reportedAt.toISOString(),
        reportIds: window.map((r) => r.id),
        localDays: days.size,
        mean: Math.round(mean * 100) / 100,
        baseline: baseline.source,
        threshold: s.painTrendDelta,
      },
    },
  ];
}

/** Symptoms past the months where conservative care usually works, without real improvement. */
function persistentSymptomsFindings(
  report: PainObservation,
  t: Timeline,
  patient: PainRuleInput['patient'],
  s: RuleSettings,
): Finding[] {
  if (!patient.symptomOnsetDate) return [];
  const baseline = t.baseline(report);
  if (!baseline || baseline.pain.intensity === 0) return [];
  // Counted in the patient's calendar: exactly the months after onset is not yet "more than".
  const limit = addMonths(patient.symptomOnsetDate, s.persistentSymptomsMonths);
  if (localDateOf(report.reportedAt, patient.timezone) <= limit) return [];
  const improvementPercent =
    ((baseline.pain.intensity - report.intensity) / baseline.pain.intensity) * 100;
  if (improvementPercent >= s.persistentImprovementPercent) return [];
  // Real improvement on the ODI counts as much as on pain (clinical-rules §6): the first ODI
  // against the latest. A first ODI of 0 has nothing to improve on: the pain decides.
  const odi = patient.odi ?? null;
  // ODI scores have one decimal: compared in whole tenths, so that 92 → 64.4 is 30 % exactly,
  // not 29.999999999999993 %.
  const tenths = (score: number) => Math.round(score * 10);
  const odiImprovementPercent =
    odi && odi.first > 0 ? ((odi.first - odi.latest) / odi.first) * 100 : null;
  if (
    odi &&
    odi.first > 0 &&
    (tenths(odi.first) - tenths(odi.latest)) * 100 >=
      s.persistentImprovementPercent * tenths(odi.first)
  ) {
    return [];
  }
  return [
    {
      rule: 'PERSISTENT_SYMPTOMS',
      severity: 'info',
      action: 'consider_specialist_review',
      programEffect: null,
      reportId: report.id,
      evidence: {
        symptomOnsetDate: patient.symptomOnsetDate,
        months: s.persistentSymptomsMonths,
        baseline: baseline.source,
        report: summary(report),
        improvementPercent: Math.round(improvementPercent * 10) / 10,
        ...(odi && odiImprovementPercent !== null
          ? {
              odi: {
                first: odi.first,
                latest: odi.latest,
                improvementPercent: Math.round(odiImprovementPercent * 10) / 10,
              },
            }
          : {}),
        requiredImprovementPercent: s.persistentImprovementPercent,
      },
    },
  ];
}

/**
 * Every pain rule of clinical-rules §3 (and the positive CENTRALIZING finding), applied to the
 * reports just written, in the light of the patient's earlier reports. Pure: `now` is given.
 */
export function evaluatePainRules(
  input: PainRuleInput,
  settings: RuleSettings = DEFAULT_RULE_SETTINGS,
  now: Date,
): Finding[] {
  const t = timeline(input, now);
  const fresh = t.all.filter((r) => input.newReports.some((n) => n.id === r.id));
  return fresh.flatMap((report) => [
    ...redFlagFindings(report),
    ...siteMovementFindings(report, t, input.patient),
    ...newLegPainFindings(report, t),
    ...afterSessionFindings(report, t, settings),
    ...persistentFlareFindings(report, t, settings),
    ...painTrendFindings(report, t, input.patient, settings),
    ...persistentSymptomsFindings(report, t, input.patient, settings),
  ]);
}
