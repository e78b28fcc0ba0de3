import type { ActivitySample } from './types';

/**
 * Before this a sample is a clock that was never set (1970) or an entry error: no step counter
 * in the formats we read is older. Each month of samples is a partition of its own.
 */
export const EARLIEST_SAMPLE_MS = Date.UTC(2000, 0, 1);
/** A device's clock may run a little ahead of ours. */
export const FUTURE_ALLOWANCE_MS = 5 * 60_000;
/** Faster than anyone walks or runs: a sensor or entry error. */
export const MAX_STEPS_PER_SECOND = 100;
/** Longer than any sample a source sends (Garmin dailies and FHIR 24 h counts are one day). */
export const MAX_SAMPLE_HOURS = 48;
/** More than anyone walks in a day: a count at one instant (a typed-in entry) above it is a typo. */
export const MAX_POINT_STEPS = 100_000;
/** Names (source, device, account, activity type) are keys and labels, not documents. */
export const MAX_NAME_LENGTH = 200;
/** A record id embeds a source's names and times: bounded so that it fits an index entry. */
export const MAX_RECORD_ID_LENGTH = 1000;

/** Why a text of a sample cannot be stored (too long, or a NUL PostgreSQL refuses), or null. */
function textProblem(label: string, value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (value.length > max) return `${label} is longer than ${max} characters`;
  if (value.includes('\u0000')) return `${label} contains a NUL character`;
  return null;
}

/** Why a normalized sample cannot be stored, or null when it can. */
export function sampleProblem(sample: ActivitySample, now: Date): string | null {
  const start = sample.start.getTime();
  const end = sample.end.getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) return 'start or end is not a valid time';
  const point = sample.granularity === 'point';
  if (point ? end !== start : end <= start) {
    return point ? 'a count at one instant must end where it starts' : 'end is not after start';
  }
  if (end - start > MAX_SAMPLE_HOURS * 3_600_000)
    return `interval is longer than ${MAX_SAMPLE_HOURS} hours`;
  if (start > now.getTime() + FUTURE_ALLOWANCE_MS) return 'starts in the future';
  if (start < EARLIEST_SAMPLE_MS) return 'starts before 2000 (a device clock that was never set?)';
  if (end > now.getTime() + FUTURE_ALLOWANCE_MS && sample.granularity === 'interval')
    return 'ends in the future';
  if (!Number.isInteger(sample.steps) || sample.steps < 0)
    return 'steps must be a whole number of 0 or more';
  if (point) {
    if (sample.steps > MAX_POINT_STEPS) return `more than ${MAX_POINT_STEPS} steps at one instant`;
  } else if (sample.steps / ((end - start) / 1000) > MAX_STEPS_PER_SECOND) {
    return `more than ${MAX_STEPS_PER_SECOND} steps a second`;
  }
  if (sample.activeMinutes !== null) {
    if (!Number.isFinite(sample.activeMinutes) || sample.activeMinutes < 0)
      return 'active minutes must be 0 or more';
    if (sample.activeMinutes > Math.ceil((end - start) / 60_000))
      return 'more active minutes than the interval lasts';
  }
  if (!sample.source.name) return 'no source name';
  return (
    textProblem('the source name', sample.source.name, MAX_NAME_LENGTH) ??
    textProblem('the device name', sample.source.device, MAX_NAME_LENGTH) ??
    textProblem('the account', sample.source.account, MAX_NAME_LENGTH) ??
    textProblem('the activity type', sample.activityType, MAX_NAME_LENGTH) ??
    textProblem('the record id', sample.record?.id, MAX_RECORD_ID_LENGTH)
  );
}
