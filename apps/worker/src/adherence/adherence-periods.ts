import { hourlyPeriodName } from '@app/queue';

/**
 * Scheduled adherence periods. A period is named after the top of a UTC hour, `2026-11-22T04`:
 * it computes the patients whose local day ended within the hour before that instant (after
 * 03:00 and by 04:00 UTC), as of that instant, so each patient is computed when *their* day
 * ends (Auckland's midnight and Los Angeles' fall at different UTC hours). A `full-` period
 * (`full-2026-11-22T04`) recomputes every patient with a program, weeks included, over the
 * last FULL_WEEKS_DAYS days: after a change of rules, and in the benchmark; one organization's
 * (`full-2026-11-22T04-org-<id>`) only that organization's patients (the operator's recompute).
 *
 * Job ids are `adherence-<period>` (periodJobId): BullMQ refuses ':' in a custom id.
 */
const HOURLY = /^\d{4}-\d{2}-\d{2}T\d{2}$/;
const FULL =
  /^full-(\d{4}-\d{2}-\d{2}T\d{2})(?:-org-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))?$/;

export { hourlyPeriodName, periodJobId } from '@app/queue';

export const FULL_WEEKS_DAYS = 91;

export interface Period {
  readonly name: string;
  readonly full: boolean;
  /** A full period of one organization's patients; null: every organization's. */
  readonly organizationId: string | null;
  /** The instant the period is computed as of: the top of its hour. */
  readonly at: Date;
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
  return { name, full: full !== null, organizationId: full?.[2] ?? null, at };
}

/** The ids of a chunk's patients: `from` included, `to` excluded (null: to the end). */
export interface ChunkIds {
  readonly from: string;
  readonly to: string | null;
}

const ID_SPACE = 2 ** 32;

/**
 * Chunk `chunk` of `chunks` takes the patients whose id falls in its share of the uuid space,
 * split on the first 32 bits: a range scan of the patients' primary key, where a hash of every
 * id would read all patients for each chunk. Patient ids are random (gen_random_uuid), so the
 * shares hold about as many patients each; whatever the ids, each patient is in one chunk.
 */
export function chunkIds(chunk: number, chunks: number): ChunkIds {
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > ID_SPACE)
    throw new RangeError(`chunks must be an integer from 1 to 2^32: ${chunks}`);
  if (!Number.isInteger(chunk) || chunk < 0 || chunk >= chunks)
    throw new RangeError(`chunk ${chunk} is not one of ${chunks}`);
  const bound = (k: number) =>
    `${Math.floor((k * ID_SPACE) / chunks)
      .toString(16)
      .padStart(8, '0')}-0000-0000-0000-000000000000`;
  return { from: bound(chunk), to: chunk === chunks - 1 ? null : bound(chunk + 1) };
}
