import { ClinicalRecordsService, markAdherenceDirty } from '@app/clinical';
import { AppConfig } from '@app/config';
import type { ActivitySample, PainObservationItem, Rejection } from '@app/domain';
import { ACTIVITY_ROLLUP_SQL, ActivityImport, Db, Patient, queryRows } from '@app/persistence';
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
 * Writes a batch of samples ($4–$11 as arrays) and marks the patient-local days ($12 the zone)
 * of the rows actually inserted for rollup; answers how many were inserted.
 */
function insertSamplesSql(skipStored: boolean): string {
  return `WITH input AS (
    -- Times travel as epoch milliseconds: encoding thousands of Dates as text was the
    -- largest cost of the pg driver in the worker's profile.
    SELECT source_key, to_timestamp(start_ms / 1000.0) AS start_at, to_timestamp(end_ms / 1000.0) AS end_at,
           steps, active_minutes, activity_type, manual, granularity
    FROM unnest($4::text[], $5::float8[], $6::float8[], $7::int[], $8::real[], $9::text[], $10::bool[], $11::text[])
      AS t(source_key, start_ms, end_ms, steps, active_minutes, activity_type, manual, granularity)
  ), ins AS (
    INSERT INTO activity_samples (organization_id, patient_id, source_key, start_at, end_at, steps, active_minutes,
                                  activity_type, manual, granularity, import_id)
    SELECT $1, $2, source_key, start_at, end_at, steps, active_minutes, activity_type, manual, granularity, $3 FROM input
    ${skipStored ? 'ON CONFLICT DO NOTHING' : ''}
    RETURNING start_at, end_at
  ), days AS (
    INSERT INTO activity_dirty_days (organization_id, patient_id, local_date)
    -- The distinct (first day, last day) pairs first: a batch's thousand samples span a day
    -- or two, so a handful of series instead of one per sample (about 10 % of the statement).
    SELECT DISTINCT $1::uuid, $2::uuid, d::date
    FROM (SELECT DISTINCT (start_at AT TIME ZONE $12)::date AS first_day,
                          ((end_at - interval '1 microsecond') AT TIME ZONE $12)::date AS last_day
          FROM ins) spans,
         generate_series(spans.first_day, spans.last_day, interval '1 day') AS d
  )
  SELECT count(*)::int AS count FROM ins`;
}
const INSERT_SAMPLES_SQL = insertSamplesSql(false);
const INSERT_NEW_SAMPLES_SQL = insertSamplesSql(true);

const records = (p: Pending) => p.samples.length + p.pains.length + p.rejections.length;

export function sourceKey(sample: Pick<ActivitySample, 'source'>): string {
  return `${sample.source.name}|${sample.source.device ?? ''}`;
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
    let pending: Pending = { samples: [], pains: [], rejections: [] };
    const take = <T>(items: T[], into: T[]) => {
      for (const item of items) if (position++ >= skip) into.push(item);
    };
    for await (const batch of parseImport(found.format, this.payload(found), {
      timezone: patient.timezone,
      now: new Date(),
    })) {
      take(batch.samples, pending.samples);
      take(batch.pains, pending.pains);
      take(batch.rejections, pending.rejections);
      if (records(pending) >= this.config.IMPORT_BATCH_SIZE) {
        await this.commitBatch(found, patient, pending, false);
        pending = { samples: [], pains: [], rejections: [] };
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
      let inserted = 0;
      if (batch.samples.length > 0) {
        const s = batch.samples;
        const params = [
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
          patient.timezone,
        ];
        // Most batches are new data: a plain insert writes them at COPY-like cost. A batch
        // holding a stored sample (a replay, an overlap) fails on the key at its first such
        // row; it is then written again with ON CONFLICT DO NOTHING, which skips stored
        // samples but costs a speculative insertion per row (measured about 2x the WAL).
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
        inserted = count;
      }
      const painsRecorded = batch.pains.length
        ? await this.recordPains(patient, batch.pains, found.createdByKeyId)
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
           errors = CASE WHEN jsonb_array_length(errors) >= ${MAX_STORED_ERRORS} THEN errors
                         ELSE (SELECT COALESCE(jsonb_agg(e), '[]'::jsonb)
                               FROM (SELECT e FROM jsonb_array_elements(errors || $7::jsonb) AS e LIMIT ${MAX_STORED_ERRORS}) kept)
                    END
         WHERE id = $1`,
        [
          found.id,
          received,
          inserted,
          batch.samples.length - inserted + (batch.pains.length - painsRecorded),
          batch.rejections.length,
          painsRecorded,
          JSON.stringify(errors),
        ],
      );
      // Source freshness is one row per source that every import of the patient updates: it is
      // written last, so its row lock is held until the commit only, not across the inserts.
      await this.touchSources(patient, batch.samples);
    });
    if (last) await this.db.transaction(() => this.finish(found));
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
      `INSERT INTO activity_sources (organization_id, patient_id, source_key, name, device, last_sample_end, last_import_at)
       SELECT $1, $2, key, name, device, last_end, now()
       FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS t(key, name, device, last_end)
       ON CONFLICT (organization_id, patient_id, source_key) DO UPDATE
         SET last_sample_end = GREATEST(activity_sources.last_sample_end, EXCLUDED.last_sample_end),
             last_import_at = now()`,
      [
        patient.organizationId,
        patient.id,
        sources.map(([key]) => key),
        sources.map(([, s]) => s.source.name),
        sources.map(([, s]) => s.source.device),
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
    patient: Patient,
    pains: PainObservationItem[],
    keyId: string | null,
  ): Promise<number> {
    const m = this.db.manager;
    await m.query('SELECT 1 FROM patients WHERE id = $1 FOR UPDATE', [patient.id]);
    let recorded = 0;
    for (const pain of pains) {
      const clientRef = `fhir:${pain.externalId}`;
      const [exists] = await m.query<unknown[]>(
        'SELECT 1 FROM pain_reports WHERE organization_id = $1 AND patient_id = $2 AND client_ref = $3',
        [patient.organizationId, patient.id, clientRef],
      );
      if (exists) continue;
      const reports = await this.clinical.insertPainReports(
        patient,
        [
          {
            clientRef,
            requestHash: null,
            sessionId: null,
            reportedAt: pain.reportedAt,
            intensity: pain.intensity,
            mostDistalSite: pain.mostDistalSite,
            side: pain.side,
            context: 'baseline',
            redFlags: null,
            odi: null,
          },
        ],
        keyId,
      );
      await this.clinical.evaluate(patient, reports);
      recorded++;
    }
    return recorded;
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
