import type { LocalDay } from './adherence/types';
import type { StartBackStratum } from './outcomes';
import type { RtmLedger, RtmShortfall } from './rtm/types';

/**
 * The clinician worklist (docs/worklist.md): every patient ranked by who needs attention first,
 * with the reasons. Bands first (urgent, attention, routine), then the score within a band,
 * then, among equals, whoever has waited longest on an urgent alert.
 */
export type WorklistBand = 'urgent' | 'attention' | 'routine';
export const WORKLIST_BANDS: readonly WorklistBand[] = ['urgent', 'attention', 'routine'];

/** What the worklist weighs for one patient. */
export interface WorklistInput {
  readonly openAlerts: readonly {
    id: string;
    rule: string;
    severity: 'warning' | 'urgent';
    createdAt: Date;
  }[];
  /** The current program, when it waits on a clinician (paused or suspended), since when. */
  readonly programHold: {
    programId: string;
    status: 'paused' | 'suspended';
    reason: string | null;
    since: Date;
  } | null;
  /** DATA_GAP's first day, when the flag is current. */
  readonly dataGapSince: LocalDay | null;
  /** RTM shortfalls that can still be made up (rtmRisks), for an open episode. */
  readonly rtmRisks: readonly RtmShortfall[];
  /** Whether the patient is in an open RTM episode this month. */
  readonly monitored: boolean;
  /** The last time a clinician reviewed the patient (care time logged, an alert handled). */
  readonly lastReviewAt: Date | null;
  /** When the patient joined (a patient never reviewed counts from then). */
  readonly enrolledAt: Date;
  readonly startBack: StartBackStratum | null;
  /** When that screening was completed. */
  readonly startBackAt?: Date | null;
}

/**
 * One reason for a patient's place, as the API contract shapes it: its kind, since when it
 * holds (an instant, a local day, or null where it has no start of its own), and its detail.
 */
export type WorklistReason =
  | { kind: 'urgent_alert'; since: string; detail: { alertId: string; rule: string } }
  | { kind: 'warning_alert'; since: string; detail: { alertId: string; rule: string } }
  | {
      kind: 'program_on_hold';
      since: string;
      detail: { programId: string; status: 'paused' | 'suspended' };
    }
  | { kind: 'data_gap'; since: LocalDay; detail: Record<string, never> }
  | {
      kind: 'rtm_at_risk';
      since: null;
      detail: { code: string; shortfall: string; needed: number; by: LocalDay; text: string };
    }
  | { kind: 'no_review'; since: string; detail: { days: number; lastReviewAt: string | null } }
  | { kind: 'startback'; since: string | null; detail: { stratum: 'medium' | 'high' } };

export type WorklistReasonKind = WorklistReason['kind'];

export interface WorklistEntry {
  readonly band: WorklistBand;
  readonly score: number;
  /** The oldest open urgent alert's creation, the tie-break among equal scores. */
  readonly oldestUrgentAt: Date | null;
  readonly reasons: readonly WorklistReason[];
}

/** The weights of the score (docs/worklist.md); a band always outranks any score below it. */
export const WORKLIST_WEIGHTS = {
  urgentAlert: 500,
  warningAlert: 100,
  programOnHold: 80,
  dataGap: 40,
  noReview: 30,
  rtmAtRisk: 20,
  startBackHigh: 15,
  startBackMedium: 5,
} as const;

/** Days without a clinician's review after which a patient is flagged. */
export const WORKLIST_REVIEW_DAYS = 7;

const DAY_MS = 86_400_000;

/** Ranks one patient as of `now`. */
export function worklistEntry(input: WorklistInput, now: Date): WorklistEntry {
  const w = WORKLIST_WEIGHTS;
  const reasons: WorklistReason[] = [];
  let score = 0;
  const byAge = [...input.openAlerts].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id),
  );
  const urgent = byAge.filter((a) => a.severity === 'urgent');
  const warnings = byAge.filter((a) => a.severity === 'warning');
  for (const a of urgent) {
    score += w.urgentAlert;
    reasons.push({
      kind: 'urgent_alert',
      since: a.createdAt.toISOString(),
      detail: { alertId: a.id, rule: a.rule },
    });
  }
  for (const a of warnings) {
    score += w.warningAlert;
    reasons.push({
      kind: 'warning_alert',
      since: a.createdAt.toISOString(),
      detail: { alertId: a.id, rule: a.rule },
    });
  }
  if (input.programHold) {
    score += w.programOnHold;
    reasons.push({
      kind: 'program_on_hold',
      since: input.programHold.since.toISOString(),
      detail: { programId: input.programHold.programId, status: input.programHold.status },
    });
  }
  if (input.dataGapSince) {
    score += w.dataGap;
    reasons.push({ kind: 'data_gap', since: input.dataGapSince, detail: {} });
  }
  for (const r of input.monitored ? input.rtmRisks.filter((x) => x.reachable) : []) {
    score += w.rtmAtRisk;
    reasons.push({
      kind: 'rtm_at_risk',
      since: null,
      detail: { code: r.code, shortfall: r.kind, needed: r.needed, by: r.by, text: r.text },
    });
  }
  const reviewedFrom = input.lastReviewAt ?? input.enrolledAt;
  const unreviewedDays = Math.floor((now.getTime() - reviewedFrom.getTime()) / DAY_MS);
  if (unreviewedDays >= WORKLIST_REVIEW_DAYS) {
    score += w.noReview;
    reasons.push({
      kind: 'no_review',
      since: reviewedFrom.toISOString(),
      detail: { days: unreviewedDays, lastReviewAt: input.lastReviewAt?.toISOString() ?? null },
    });
  }
  if (input.startBack === 'high' || input.startBack === 'medium') {
    score += input.startBack === 'high' ? w.startBackHigh : w.startBackMedium;
    reasons.push({
      kind: 'startback',
      since: input.startBackAt?.toISOString() ?? null,
      detail: { stratum: input.startBack },
    });
  }
  const band: WorklistBand =
    urgent.length > 0
      ? 'urgent'
      : warnings.length > 0 || input.programHold
        ? 'attention'
        : 'routine';
  return { band, score, oldestUrgentAt: urgent[0]?.createdAt ?? null, reasons };
}

/** The worklist's order: band, then score (highest first), then the longest-waiting urgent alert. */
export function compareWorklist(
  a: WorklistEntry & { patientId: string },
  b: WorklistEntry & { patientId: string },
): number {
  const band = WORKLIST_BANDS.indexOf(a.band) - WORKLIST_BANDS.indexOf(b.band);
  if (band !== 0) return band;
  if (a.score !== b.score) return b.score - a.score;
  const au = a.oldestUrgentAt?.getTime() ?? Infinity;
  const bu = b.oldestUrgentAt?.getTime() ?? Infinity;
  if (au !== bu) return au < bu ? -1 : 1;
  return a.patientId < b.patientId ? -1 : a.patientId > b.patientId ? 1 : 0;
}

/**
 * The RTM shortfalls a worklist shows (docs/worklist.md): those still reachable of the set-up,
 * of the device period running today, and of the month's treatment codes short of the first
 * (98979 or 98980) or of an interactive contact. A further 98981 unit is always a few minutes
 * away and a period not yet begun has no deadline yet: neither is a risk.
 */
export function worklistRtmRisks(ledger: RtmLedger, today: LocalDay): RtmShortfall[] {
  const candidates: (RtmShortfall | null)[] = [
    ...ledger.setup.map((s) => s.missing),
    ...ledger.devicePeriods.filter((p) => p.from <= today && today <= p.to).map((p) => p.missing),
    ...ledger.treatment.missing.filter((m) => m.code !== '98981'),
  ];
  return candidates.filter((r): r is RtmShortfall => r !== null && r.reachable);
}

/** The RTM codes a ledger shows met so far in its month (the dashboard counts patients per code). */
export function rtmCodesMet(ledger: RtmLedger): string[] {
  const codes = new Set<string>();
  for (const s of ledger.setup) if (s.met) codes.add(s.code);
  for (const p of ledger.devicePeriods) if (p.code) codes.add(p.code);
  for (const c of ledger.treatment.codes) codes.add(c.code);
  return [...codes].sort();
}
