import { ClinicalRecordsService, markAdherenceDirty } from '@app/clinical';
import { AppConfig, Clock } from '@app/config';
import type { ActivitySample, PainObservationItem, Rejection, SampleRetraction } from '@app/domain';
import {
  ACTIVITY_ROLLUP_SQL,
  ActivityImport,
  Db,
  Patient,
  queryRows,
  type Tx,
} from '@app/persistence';
import type { JobPayloads } from '@app/queue';
import { parseImport, type Payload } from '@app/wearables';
import { Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import type { EntityManager } from 'typeorm';
import { OnJob } from '../jobs/on-job.decorator';

// Only the first errors are kept on the import: enough to fix a client, bounded in size.
const MAX_STORED_ERRORS = 1000;

interface Pending {
  samples: ActivitySample[];
  pains: PainObservationItem[];
  retractions: SampleRetraction[];
  rejections: Rejection[];
}

const UNIQUE_VIOLATION = '23505';
/** An import queued or processing for longer than this no longer holds back its patient's rollups. */
const IN_FLIGHT_MINUTES = 5;
/**
 * How long a marked day may wait for a later import of the patient: past this, whichever import
 * ends next (or the sweep) rolls up, so a patient whose imports never stop still gets totals.
 */
const DEFERRED_SECONDS_MAX = 30;

/**
 * Marks for rollup the patient-local days (in zone `zone`) that the rows of `spans` (start_at,
 * end_at) touch. The distinct (first day, last day) pairs first: a batch's thousand samples
 * span a day or two, so a handful of series instead of one per sample (about 10 % of the
 * statement). A count at one instant (start = end) marks its own day.
 */
function markDaysSql(spans: string, zone = '$12'): string {
  return `INSERT INTO activity_dirty_days (organization_id, patient_id, local_date)
    SELECT DISTINCT $1::uuid, $2::uuid, d::date
    FROM (SELECT DISTINCT (start_at AT TIME ZONE ${zone})::date AS first_day,
                          (GREATEST(end_at - interval '1 microsecond', start_at) AT TIME ZONE ${zone})::date AS last_day
          FROM ${spans}) spans,
         generate_series(spans.first_day, spans.last_day, interval '1 day') AS d`;
}

// Samples travel as arrays ($4–$11; $13–$14 for records), times as epoch milliseconds: encoding
// thousands of Dates as text was the largest cost of the pg driver in the worker's profile.
const INPUT_COLUMNS = `source_key, to_timestamp(start_ms / 1000.0) AS start_at, to_timestamp(end_ms / 1000.0) AS end_at,
           steps, active_minutes, activity_type, manual, granularity`;
const INPUT_ARRAYS = `$4::text[], $5::float8[], $6::float8[], $7::int[], $8::real[], $9::text[], $10::bool[], $11::text[]`;
const INPUT_NAMES = `source_key, start_ms, end_ms, steps, active_minutes, activity_type, manual, granularity`;
const SAMPLE_COLUMNS = `source_key, start_at, end_at, steps, active_minutes, activity_type, manual, granularity`;

/**
 * Writes a batch of samples the natural key identifies and marks the days of the rows actually
 * inserted for rollup ($12 the patient's zone); answers how many were inserted.
 */
function insertSamplesSql(skipStored: boolean): string {
  return `WITH input AS (
    SELECT ${INPUT_COLUMNS} FROM unnest(${INPUT_ARRAYS}) AS t(${INPUT_NAMES})
  ), ins AS (
    INSERT INTO activity_samples (organization_id, patient_id, ${SAMPLE_COLUMNS}, import_id)
    SELECT $1, $2, ${SAMPLE_COLUMNS}, $3 FROM input
    ${skipStored ? 'ON CONFLICT DO NOTHING' : ''}
    RETURNING start_at, end_at
  ), days AS (${markDaysSql('ins')})
  SELECT count(*)::int AS count FROM ins`;
}
const INSERT_SAMPLES_SQL = insertSamplesSql(false);
const INSERT_NEW_SAMPLES_SQL = insertSamplesSql(true);

/**
 * Writes samples the source identifies ($13 record ids, $14 revisions, $15 when received): a
 * record not stored yet is inserted; a newer version of a stored one (a higher revision, or the
 * same revision received later) that says something else replaces it; anything else changes
 * nothing. The days of both the old and the new version are marked for rollup.
 */
const UPSERT_RECORDS_SQL = `WITH input AS (
    SELECT ${INPUT_COLUMNS}, record_id, revision
    FROM unnest(${INPUT_ARRAYS}, $13::text[], $14::int8[]) AS t(${INPUT_NAMES}, record_id, revision)
  ), newest AS (
    -- A record twice in one batch: its newest version (a statement writes a row only once).
    SELECT DISTINCT ON (record_id) * FROM input ORDER BY record_id, revision DESC, steps DESC
  ), previous AS (
    SELECT s.record_id, s.start_at, s.end_at FROM activity_samples s
    WHERE s.organization_id = $1 AND s.patient_id = $2 AND s.record_id IN (SELECT record_id FROM newest)
  ), written AS (
    INSERT INTO activity_samples AS s (organization_id, patient_id, ${SAMPLE_COLUMNS}, import_id, record_id, revision, received_at)
    SELECT $1, $2, ${SAMPLE_COLUMNS}, $3, record_id, revision, $15 FROM newest
    ON CONFLICT (organization_id, patient_id, record_id) WHERE record_id <> '' DO UPDATE
      SET source_key = EXCLUDED.source_key, start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at,
          steps = EXCLUDED.steps, active_minutes = EXCLUDED.active_minutes, activity_type = EXCLUDED.activity_type,
          manual = EXCLUDED.manual, granularity = EXCLUDED.granularity, import_id = EXCLUDED.import_id,
          revision = EXCLUDED.revision, received_at = EXCLUDED.received_at
      WHERE (EXCLUDED.revision, EXCLUDED.received_at) > (s.revision, s.received_at)
        AND (EXCLUDED.source_key, EXCLUDED.start_at, EXCLUDED.end_at, EXCLUDED.steps, EXCLUDED.active_minutes,
             EXCLUDED.activity_type, EXCLUDED.manual, EXCLUDED.granularity)
            IS DISTINCT FROM (s.source_key, s.start_at, s.end_at, s.steps, s.active_minutes,
                              s.activity_type, s.manual, s.granularity)
    RETURNING s.record_id, s.start_at, s.end_at, (s.xmax = 0) AS created
  ), spans AS (
    SELECT start_at, end_at FROM written
    UNION ALL
    SELECT p.start_at, p.end_at FROM previous p JOIN written w ON w.record_id = p.record_id AND NOT w.created
  ), days AS (${markDaysSql('spans')})
  SELECT count(*) FILTER (WHERE created)::int AS inserted, count(*) FILTER (WHERE NOT created)::int AS updated
  FROM written`;

/** Removes what withdrawn records ($3) stored and marks their days ($4 the zone); answers how many. */
const RETRACT_RECORDS_SQL = `WITH gone AS (
    DELETE FROM activity_samples
    WHERE organization_id = $1 AND patient_id = $2 AND record_id = ANY($3::text[]) AND record_id <> ''
    RETURNING start_at, end_at
  ), days AS (${markDaysSql('gone', '$4')})
  SELECT count(*)::int AS count FROM gone`;

const records = (p: Pending) =>
  p.samples.length + p.pains.length + p.retractions.length + p.rejections.length;
const nothingPending = (): Pending => ({ samples: [], pains: [], retractions: [], rejections: [] });

/** A source is its name, its device and, when the payload names one, its account. */
export function sourceKey(sample: Pick<ActivitySample, 'source'>): string {
  const { name, device, account } = sample.source;
  return account ? `${name}|${device ?? ''}|${account}` : `${name}|${device ?? ''}`;
}

/**
 * Imports one stored payload: parse (streamed), write samples in set-based batches under their
 * natural key (a replay inserts nothing), then re-roll the patient-local days the new samples
 * touch. Each batch commits with a checkpoint, so a job restarted after a crash resumes where
 * the last batch ended and stores every sample exactly once.
 */
@Injectable()
export class ActivityImportProcessor {
  private readonly logger = new Logger(ActivityImportProcessor.name);

  constructor(
    private readonly db: Db,
    private readonly config: AppConfig,
    private readonly clinical: ClinicalRecordsService,
    private readonly clock: Clock,
  ) {}

  @OnJob('activity.import')
  async importActivity(
    { importId }: JobPayloads['activity.import'],
    job: Job,
  ): Promise<{ status: string }> {
    // Claim the import in one statement; a finished one (a replayed job) is left alone.
    const [claimed] = await queryRows<{ id: string }>(
      this.db.manager,
      `UPDATE activity_imports SET status = 'processing', started_at = COALESCE(started_at, now()), attempts = attempts + 1
       WHERE id = $1 AND status IN ('queued', 'processing') RETURNING id`,
      [importId],
    );
    if (!claimed) return { status: 'skipped' };
    const found = await this.db.repo(ActivityImport).findOneByOrFail({ id: importId });
    const patient = await this.db.repo(Patient).findOneByOrFail({ id: found.patientId });
    try {
      await this.ingest(found, patient);
    } catch (err) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const unrecoverable = !isTransient(err);
      if (unrecoverable || lastAttempt) {
        await this.fail(
          found,
          unrecoverable ? describe(err) : `gave up after ${job.attemptsMade + 1} attempts`,
        );
        if (unrecoverable) throw new UnrecoverableError(describe(err));
      }
      throw err;
    }
    return { status: 'completed' };
  }

  private async ingest(found: ActivityImport, patient: Patient): Promise<void> {
    const skip = found.processed;
    let position = 0;
    let pending = nothingPending();
    const take = <T>(items: T[], into: T[]) => {
      for (const item of items) if (position++ >= skip) into.push(item);
    };
    for await (const batch of parseImport(found.format, this.payload(found), {
      timezone: patient.timezone,
      now: new Date(),
      jsonMaxBytes: this.config.IMPORT_JSON_MAX_BYTES,
    })) {
      take(batch.samples, pending.samples);
      take(batch.pains, pending.pains);
      take(batch.retractions, pending.retractions);
      take(batch.rejections, pending.rejections);
      if (records(pending) >= this.config.IMPORT_BATCH_SIZE) {
        await this.commitBatch(found, patient, pending, false);
        pending = nothingPending();
      }
    }
    // The last batch commits, then the rollup and the completion (see finish).
    await this.commitBatch(found, patient, pending, true);
  }

  /** The stored payload, one chunk row at a time: memory stays bounded for any export size. */
  private async *payload(found: ActivityImport): Payload {
    for (let seq = 0; seq < found.chunkCount; seq++) {
      const [row] = await this.db.manager.query<{ data: Buffer }[]>(
        'SELECT data FROM activity_import_chunks WHERE import_id = $1 AND seq = $2',
        [found.id, seq],
      );
      if (!row)
        throw new UnrecoverableError(`payload chunk ${seq} of import ${found.id} is missing`);
      yield row.data;
    }
  }

  /**
   * One transaction: samples, their days marked for rollup, source freshness, pain reports,
   * counters and checkpoint. After the last batch, a second one rolls up and completes.
   */
  private async commitBatch(
    found: ActivityImport,
    patient: Patient,
    batch: Pending,
    last: boolean,
  ): Promise<void> {
    await this.db.transaction(async (m) => {
      const plain = batch.samples.filter((x) => x.record === null);
      const keyed = batch.samples.filter((x) => x.record !== null);
      // Of a withdrawal and a version of the same record in one batch, the later in the payload
      // has the last word: a withdrawal followed by a version is applied before it.
      const lastVersion = new Map(keyed.map((x) => [x.record?.id, x.ref.index ?? -1]));
      const superseded = batch.retractions.filter(
        (r) => (lastVersion.get(r.recordId) ?? -1) > (r.ref.index ?? -1),
      );
      const retract = async (retractions: SampleRetraction[]) => {
        if (retractions.length === 0) return 0;
        const [{ count }] = await m.query<{ count: number }[]>(RETRACT_RECORDS_SQL, [
          patient.organizationId,
          patient.id,
          retractions.map((r) => r.recordId),
          patient.timezone,
        ]);
        return count;
      };
      let inserted = plain.length > 0 ? await this.insertSamples(m, found, patient, plain) : 0;
      let updated = await retract(superseded);
      if (keyed.length > 0) {
        const written = await this.upsertRecords(m, found, patient, keyed);
        inserted += written.inserted;
        updated += written.updated;
      }
      updated += await retract(batch.retractions.filter((r) => !superseded.includes(r)));
      const painsRecorded = batch.pains.length
        ? await this.recordPains(m, patient, batch.pains, found.createdByKeyId)
        : 0;
      const received = records(batch);
      const errors = batch.rejections.map(({ index, line, reason }) => ({
        ...(index !== undefined ? { index } : {}),
        ...(line !== undefined ? { line } : {}),
        reason,
      }));
      await m.query(
        `UPDATE activity_imports SET
           processed = processed + $2, received = received + $2, inserted = inserted + $3,
           duplicates = duplicates + $4, rejected = rejected + $5, pain_reports = pain_reports + $6,
           updated = updated + $8,
           errors = CASE WHEN jsonb_array_length(errors) >= ${MAX_STORED_ERRORS} THEN errors
                         ELSE (SELECT COALESCE(jsonb_agg(e), '[]'::jsonb)
                               FROM (SELECT e FROM jsonb_array_elements(errors || $7::jsonb) AS e LIMIT ${MAX_STORED_ERRORS}) kept)
                    END
         WHERE id = $1`,
        [
          found.id,
          received,
          inserted,
          // Unchanged: samples already stored, withdrawals of nothing stored, pains recorded before.
          batch.samples.length +
            batch.retractions.length -
            inserted -
            updated +
            (batch.pains.length - painsRecorded),
          batch.rejections.length,
          painsRecorded,
          JSON.stringify(errors),
          updated,
        ],
      );
      // Source freshness is one row per source that every import of the patient updates: it is
      // written last, so its row lock is held until the commit only, not across the inserts.
      await this.touchSources(patient, batch.samples);
    });
    if (last) await this.db.transaction(() => this.finish(found));
  }

  /**
   * Samples the natural key identifies. Most batches are new data: a plain insert writes them at
   * COPY-like cost. A batch holding a stored sample (a replay, an overlap) fails on the key at its
   * first such row; it is then written again with ON CONFLICT DO NOTHING, which skips stored
   * samples but costs a speculative insertion per row (measured about 2x the WAL).
   */
  private async insertSamples(
    m: EntityManager,
    found: ActivityImport,
    patient: Patient,
    samples: ActivitySample[],
  ): Promise<number> {
    const params = [...sampleParams(found, patient, samples), patient.timezone];
    await m.query('SAVEPOINT samples');
    let count: number;
    try {
      [{ count }] = await m.query<{ count: number }[]>(INSERT_SAMPLES_SQL, params);
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      await m.query('ROLLBACK TO SAVEPOINT samples');
      [{ count }] = await m.query<{ count: number }[]>(INSERT_NEW_SAMPLES_SQL, params);
    }
    await m.query('RELEASE SAVEPOINT samples');
    return count;
  }

  /** Samples the source identifies: new ones inserted, newer versions replacing older ones. */
  private async upsertRecords(
    m: EntityManager,
    found: ActivityImport,
    patient: Patient,
    samples: ActivitySample[],
  ): Promise<{ inserted: number; updated: number }> {
    const [counts] = await m.query<{ inserted: number; updated: number }[]>(UPSERT_RECORDS_SQL, [
      ...sampleParams(found, patient, samples),
      patient.timezone,
      samples.map((x) => x.record?.id),
      samples.map((x) => x.record?.revision),
      found.createdAt,
    ]);
    return counts;
  }

  private async touchSources(patient: Patient, samples: ActivitySample[]): Promise<void> {
    if (samples.length === 0) return;
    const latest = new Map<string, ActivitySample>();
    for (const sample of samples) {
      const key = sourceKey(sample);
      const seen = latest.get(key);
      if (!seen || sample.end > seen.end) latest.set(key, sample);
    }
    const sources = [...latest.entries()];
    await this.db.manager.query(
      `INSERT INTO activity_sources (organization_id, patient_id, source_key, name, device, account, last_sample_end, last_import_at)
       SELECT $1, $2, key, name, device, account, last_end, now()
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) AS t(key, name, device, account, last_end)
       ON CONFLICT (organization_id, patient_id, source_key) DO UPDATE
         SET last_sample_end = GREATEST(activity_sources.last_sample_end, EXCLUDED.last_sample_end),
             last_import_at = now()`,
      [
        patient.organizationId,
        patient.id,
        sources.map(([key]) => key),
        sources.map(([, s]) => s.source.name),
        sources.map(([, s]) => s.source.device),
        sources.map(([, s]) => s.source.account ?? null),
        sources.map(([, s]) => s.end),
      ],
    );
  }

  /**
   * Pain scores in a payload (FHIR 72514-3) become pain reports, through the same rules as
   * those an app posts. A score outside a session is taken at rest: context `baseline`.
   * The FHIR id is the clientRef, so a replayed bundle records nothing twice.
   */
  private async recordPains(
    tx: Tx,
    patient: Patient,
    pains: PainObservationItem[],
    keyId: string | null,
  ): Promise<number> {
    const now = this.clock.now();
    const refs = pains.map((pain) => `fhir:${pain.externalId}`);
    const ctx = await this.clinical.loadContext(
      tx,
      null,
      patient.id,
      { table: 'pain_reports', clientRefs: refs },
      pains.map((pain) => pain.reportedAt),
      now,
    );
    if (!ctx) return 0;
    const fresh = new Map<string, PainObservationItem>();
    pains.forEach((pain, i) => {
      if (!ctx.existing.has(refs[i]) && !fresh.has(refs[i])) fresh.set(refs[i], pain);
    });
    if (fresh.size === 0) return 0;
    await this.clinical.write(tx, ctx, {
      session: null,
      reports: [...fresh].map(([clientRef, pain]) => ({
        clientRef,
        requestHash: null,
        reportedAt: pain.reportedAt,
        intensity: pain.intensity,
        mostDistalSite: pain.mostDistalSite,
        side: pain.side,
        context: 'baseline' as const,
        redFlags: null,
        odi: null,
      })),
      createdByKeyId: keyId,
      now,
    });
    return fresh.size;
  }

  /**
   * Marks the import completed and rolls up the patient's marked days, under the patient's
   * lock (see rollUpMarkedDays).
   */
  private async finish(found: ActivityImport): Promise<void> {
    const m = this.db.manager;
    await m.query(
      `UPDATE activity_imports SET status = 'completed', completed_at = now() WHERE id = $1`,
      [found.id],
    );
    await rollUpMarkedDays(m, found.organizationId, found.patientId);
    // The samples are stored: the raw payload (health data, possibly gigabytes) is not kept.
    await m.query('DELETE FROM activity_import_chunks WHERE import_id = $1', [found.id]);
  }

  private async fail(found: ActivityImport, reason: string): Promise<void> {
    this.logger.warn({ importId: found.id }, 'activity import failed');
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE activity_imports SET status = 'failed', failure_reason = $2, completed_at = now() WHERE id = $1`,
        [found.id, reason.slice(0, 500)],
      );
      // The batches it committed before failing are kept: their days are rolled up too.
      await rollUpMarkedDays(m, found.organizationId, found.patientId);
      // Nothing will read the raw payload again (health data, possibly gigabytes).
      await m.query('DELETE FROM activity_import_chunks WHERE import_id = $1', [found.id]);
    });
  }
}

/**
 * Rolls up a patient's marked days, unless another import of the patient is still on its way:
 * that one will, when it ends, so imports arriving together share one rollup instead of each
 * re-reading the same days (a day's samples are read once, not once per import). Runs under the
 * patient's lock, after the caller's import is marked completed or failed in the same
 * transaction: of imports ending together, the last to take the lock sees no other in flight
 * and rolls up every day marked by then. An import stuck for more than a few minutes does not
 * hold the others' days back, and the sweep settles any day left marked.
 */
export async function rollUpMarkedDays(
  m: EntityManager,
  organizationId: string,
  patientId: string,
): Promise<boolean> {
  await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [patientId]);
  const [{ busy }] = await m.query<{ busy: boolean }[]>(
    `SELECT EXISTS (
       SELECT 1 FROM activity_imports
       WHERE organization_id = $1 AND patient_id = $2 AND status IN ('queued', 'processing')
         AND created_at > now() - interval '${IN_FLIGHT_MINUTES} minutes')
     AND NOT EXISTS (
       SELECT 1 FROM activity_dirty_days WHERE organization_id = $1 AND patient_id = $2
         AND marked_at < now() - interval '${DEFERRED_SECONDS_MAX} seconds') AS busy`,
    [organizationId, patientId],
  );
  if (busy) return false;
  const days = await m.query<{ local_date: string }[]>(
    `WITH taken AS (
       DELETE FROM activity_dirty_days WHERE organization_id = $1 AND patient_id = $2 RETURNING local_date
     )
     SELECT DISTINCT local_date::text FROM taken`,
    [organizationId, patientId],
  );
  if (days.length === 0) return true;
  await markAdherenceDirty(m, organizationId, patientId);
  await m.query(ACTIVITY_ROLLUP_SQL, [organizationId, patientId, days.map((d) => d.local_date)]);
  return true;
}

/** The batch's samples as the arrays of $1–$11 (organization, patient, import, then columns). */
function sampleParams(found: ActivityImport, patient: Patient, s: ActivitySample[]): unknown[] {
  return [
    patient.organizationId,
    patient.id,
    found.id,
    s.map(sourceKey),
    s.map((x) => x.start.getTime()),
    s.map((x) => x.end.getTime()),
    s.map((x) => x.steps),
    s.map((x) => x.activeMinutes),
    s.map((x) => x.activityType),
    s.map((x) => x.manual),
    s.map((x) => x.granularity),
  ];
}

/** Connection and lock troubles are worth a retry; a payload that cannot be parsed is not. */
function isTransient(err: unknown): boolean {
  if (err instanceof UnrecoverableError) return false;
  if (err instanceof SyntaxError) return false;
  const code = (err as { code?: string }).code;
  if (typeof code === 'string') return /^(08|40|53|57|58)|^ECONN|^ETIMEDOUT|^EPIPE/.test(code);
  const message = err instanceof Error ? err.message : '';
  return /connection|timeout|terminat/i.test(message);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
