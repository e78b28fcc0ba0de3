// Deterministic FHIR ids for resources that have no row id of their own, and their parsers:
// a read (`GET Observation/{id}`) must find its source from the id alone.

import { PROGRESSION_FLAGS, type ProgressionFlagId } from '../adherence/types';

/** FHIR R4 `id`: 1 to 64 of letters, digits, `-` and `.`. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function isFhirId(value: string): boolean {
  return FHIR_ID.test(value);
}

function checked(id: string): string {
  if (!isFhirId(id)) throw new RangeError(`not a valid FHIR id: ${id}`);
  return id;
}

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(value: string): boolean {
  const m = LOCAL_DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

// ---- daily steps: Observation `steps-{patientId}-{YYYY-MM-DD}` --------------------------------

export function dailyStepsObservationId(patientId: string, localDate: string): string {
  if (!isCalendarDate(localDate)) throw new RangeError(`not a calendar date: ${localDate}`);
  return checked(`steps-${patientId}-${localDate}`);
}

export function parseDailyStepsObservationId(
  id: string,
): { patientId: string; localDate: string } | null {
  if (!isFhirId(id)) return null;
  const m = /^steps-(.+)-(\d{4}-\d{2}-\d{2})$/.exec(id);
  if (!m || !isCalendarDate(m[2])) return null;
  return { patientId: m[1], localDate: m[2] };
}

// ---- progression flags: Flag `{flag-slug}-{patientId}` ---------------------------------------

/** `REST_GAP_EXCEEDED` → `rest-gap-exceeded`. */
export function progressionFlagSlug(flag: ProgressionFlagId): string {
  return flag.toLowerCase().replace(/_/g, '-');
}

// Longest first: no slug is a prefix of another today, but a later one could be.
const SLUGS = PROGRESSION_FLAGS.map((flag) => ({ flag, slug: progressionFlagSlug(flag) })).sort(
  (a, b) => b.slug.length - a.slug.length,
);

export function progressionFlagId(flag: ProgressionFlagId, patientId: string): string {
  return checked(`${progressionFlagSlug(flag)}-${patientId}`);
}

export function parseProgressionFlagId(
  id: string,
): { flag: ProgressionFlagId; patientId: string } | null {
  if (!isFhirId(id)) return null;
  for (const { flag, slug } of SLUGS) {
    if (id.startsWith(`${slug}-`) && id.length > slug.length + 1) {
      return { flag, patientId: id.slice(slug.length + 1) };
    }
  }
  return null;
}

/** A Flag is a progression flag (slug-prefixed id) or an alert (the alert's UUID). */
export type FlagSource =
  | { kind: 'progression'; flag: ProgressionFlagId; patientId: string }
  | { kind: 'alert'; alertId: string };

export function parseFlagId(id: string): FlagSource | null {
  if (!isFhirId(id)) return null;
  const progression = parseProgressionFlagId(id);
  return progression ? { kind: 'progression', ...progression } : { kind: 'alert', alertId: id };
}
