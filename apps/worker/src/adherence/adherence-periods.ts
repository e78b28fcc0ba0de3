/**
 * Scheduled adherence periods. A period is named after the top of a UTC hour, `2026-11-22T04`:
 * it computes the patients whose local day ended within the hour before that instant (after
 * 03:00 and by 04:00 UTC), as of that instant, so each patient is computed when *their* day
 * ends (Auckland's midnight and Los Angeles' fall at different UTC hours). A `full-` period
 * (`full-2026-11-22T04`) recomputes every patient with a program, weeks included, over the
 * last FULL_WEEKS_DAYS days: after a change of rules, and in the benchmark.
 *
 * Job ids are `adherence-<period>`: BullMQ refuses ':' in a custom id.
 */
const HOURLY = /^\d{4}-\d{2}-\d{2}T\d{2}$/;
const FULL = /^full-(\d{4}-\d{2}-\d{2}T\d{2})$/;

export const FULL_WEEKS_DAYS = 91;

export interface Period {
  readonly name: string;
  readonly full: boolean;
  /** The instant the period is computed as of: the top of its hour. */
  readonly at: Date;
}

export function hourlyPeriodName(at: Date): string {
  return at.toISOString().slice(0, 13);
}

/** The period of the hour that starts nearest `tick` (a cron tick fires a little after :00). */
export function periodOfTick(tick: Date): string {
  const hour = 3_600_000;
  return hourlyPeriodName(new Date(Math.round(tick.getTime() / hour) * hour));
}

export function parsePeriod(name: string): Period {
  const full = FULL.exec(name);
  const hour = full ? full[1] : HOURLY.test(name) ? name : null;
  const at = hour ? new Date(`${hour}:00:00Z`) : null;
  if (!hour || !at || Number.isNaN(at.getTime()) || hourlyPeriodName(at) !== hour)
    throw new Error(`not an adherence period: ${name}`);
  return { name, full: full !== null, at };
}

export function periodJobId(name: string): string {
  return `adherence-${name}`;
}
