import type { ActivitySample, ImportFormat, SampleRetraction } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { Between } from 'typeorm';
import { ACTIVITY_ROLLUP_SQL, rollupParams } from '../activity-rollup.sql';
import { Db, prepared, queryRows, runPrepared, type Executor, type Tx } from '../db.service';
import { ActivityDaily, ActivityImport, ActivitySource, type ImportError } from '../entities';
import { sqlState, UNIQUE_VIOLATION } from '../sql-errors';

// Only the first errors are kept on an import: enough to fix a client, bounded in size.
export const MAX_STORED_ERRORS = 1000;
/** An import queued or processing for longer than this no longer holds back its patient's rollups. */
const IN_FLIGHT_MINUTES = 5;
/**
 * How long a marked day may wait for a later import of the patient: past this, whichever import
 * ends next (or the sweep) rolls up, so a patient whose imports never stop still gets totals.
 */
const DEFERRED_SECONDS_MAX = 30;

/** A source is its name, its device and, when the payload names one, its account. */
export function sourceKey(sample: Pick<ActivitySample, 'source'>): string {
  const { name, device, account } = sample.source;
  return account ? `${name}|${device ?? ''}|${account}` : `${name}|${device ?? ''}`;
}

/**
 * Marks for rollup the patient-local days ($3 the zone) that the rows of `spans` (start_at,
 * end_at) touch. The distinct (first day, last day) pairs first: a batch's thousand samples
 * span a day or two, so a handful of series instead of one per sample. A count at one instant
 * (start = end) marks its own day.
 */
function markDays(spans: string): string {
  return `INSERT INTO activity_dirty_days (organization_id, patient_id, local_date)
    SELECT DISTINCT $1::uuid, $2::uuid, d::date
    FROM (SELECT DISTINCT (start_at AT TIME ZONE $3)::date AS first_day,
                          (GREATEST(end_at - interval '1 microsecond', start_at) AT TIME ZONE $3)::date AS last_day
          FROM ${spans}) spans,
         generate_series(spans.first_day, spans.last_day, interval '1 day') AS d`;
}

// The samples of a write travel as arrays; times as epoch milliseconds, since encoding
// thousands of Dates as text was the largest cost of the pg driver in the worker's profile.
// $1 organization, $2 patient, $3 zone, $4 import; plain samples $5–$12; samples with a
// record id $13–$22 (the same columns, then record ids and revisions, $23 when received);
// withdrawn record ids $24; the newest sample end of each source $25–$29.
const SAMPLE_COLUMNS = `source_key, start_at, end_at, steps, active_minutes, activity_type, manual, granularity`;
function input(first: number, extra = ''): string {
  const n = (i: number) => `$${first + i}`;
  return `SELECT source_key, to_timestamp(start_ms / 1000.0) AS start_at, to_timestamp(end_ms / 1000.0) AS end_at,
           steps, active_minutes, activity_type, manual, granularity${extra ? `, ${extra}` : ''}
    FROM unnest(${n(0)}::text[], ${n(1)}::float8[], ${n(2)}::float8[], ${n(3)}::int[], ${n(4)}::real[], ${n(5)}::text[],
                ${n(6)}::bool[], ${n(7)}::text[]${extra ? `, ${n(8)}::text[], ${n(9)}::int8[]` : ''})
      AS t(source_key, start_ms, end_ms, steps, active_minutes, activity_type, manual, granularity${extra ? `, ${extra}` : ''})`;
}

/** The batch's counts and errors on its import; the last batch completes it. */
const COUNT_BATCH = `  ), counted AS (
    UPDATE activity_imports SET
      processed = processed + $30::int, received = received + $30::int, inserted = inserted + w.n_inserted,
      -- Unchanged: samples already stored, withdrawals of nothing stored, pains recorded before.
      duplicates = duplicates + $36::int - w.n_inserted - w.n_updated + ($33::int - $32::int),
      rejected = rejected + $31::int, pain_reports = pain_reports + $32::int, updated = updated + w.n_updated,
      errors = CASE WHEN jsonb_array_length(errors) >= ${MAX_STORED_ERRORS} THEN errors
                    ELSE (SELECT COALESCE(jsonb_agg(e), '[]'::jsonb)
                          FROM (SELECT e FROM jsonb_array_elements(errors || $34::jsonb) AS e LIMIT ${MAX_STORED_ERRORS}) kept)
               END,
      status = CASE WHEN $35::bool THEN 'completed' ELSE status END,
      completed_at = CASE WHEN $35 THEN now() ELSE completed_at END
    FROM written w
    WHERE activity_imports.organization_id = $1 AND activity_imports.id = $4
`;

/** An import written in its request: created complete, with its counts and errors. */
const CREATE_INLINE = `  ), counted AS (
    INSERT INTO activity_imports (id, organization_id, patient_id, format, byte_size, chunk_count, status,
                                  processed, received, inserted, duplicates, updated, rejected, pain_reports,
                                  errors, created_by_key_id, started_at, completed_at)
    SELECT $4, $1, $2, $37, $38, 0, 'completed', $30::int, $30::int, w.n_inserted,
           $36::int - w.n_inserted - w.n_updated + ($33::int - $32::int), w.n_updated, $31::int, $32::int, $34::jsonb, $39, now(), now()
    FROM written w
`;

/**
 * The samples of one batch, in one statement: those the natural key identifies inserted (a
 * plain insert, at COPY-like cost; with `skipStored`, a replay's stored ones skipped), those the
 * source identifies inserted or replacing an older version (a higher revision, or the same
 * revision received later, that says something else), withdrawn records removed; the days of
 * every row written or removed marked for rollup; and each source's freshness. Answers the
 * counts.
 */
function writeSamplesSql(skipStored: boolean, inline = false): string {
  return `WITH plain AS (${input(5)}
  ), plain_written AS (
    INSERT INTO activity_samples (organization_id, patient_id, ${SAMPLE_COLUMNS}, import_id)
    SELECT $1, $2, ${SAMPLE_COLUMNS}, $4 FROM plain
    ${skipStored ? 'ON CONFLICT DO NOTHING' : ''}
    RETURNING start_at, end_at
  ), keyed AS (
    -- A record twice in one batch: its newest version (a statement writes a row only once).
    SELECT DISTINCT ON (record_id) * FROM (${input(13, 'record_id, revision')}) k
    ORDER BY record_id, revision DESC, steps DESC
  ), previous AS (
    -- The stored version of each record: by the record ids as sent ($21), not the CTE, so that
    -- the planner probes the record index (the key's prefix) of each partition for just those.
    SELECT DISTINCT ON (s.record_id) s.* FROM activity_samples s
    WHERE s.organization_id = $1 AND s.patient_id = $2 AND s.record_id = ANY($21::text[]) AND s.record_id <> ''
    ORDER BY s.record_id, s.revision DESC, s.received_at DESC NULLS LAST
  ), winners AS (
    -- New records, and newer versions (a higher revision, or the same one received later)
    -- that say something else. The writer holds the patient's sample lock (runWrite), so the
    -- stored version read here is the one the statement replaces.
    SELECT k.*, p.record_id IS NULL AS created, p.start_at AS old_start, p.end_at AS old_end
    FROM keyed k LEFT JOIN previous p USING (record_id)
    WHERE p.record_id IS NULL
       OR ((k.revision, $23::timestamptz) > (p.revision, p.received_at)
           AND (k.source_key, k.start_at, k.end_at, k.steps, k.active_minutes, k.activity_type, k.manual, k.granularity)
               IS DISTINCT FROM (p.source_key, p.start_at, p.end_at, p.steps, p.active_minutes, p.activity_type,
                                 p.manual, p.granularity))
  ), moved AS (
    -- A version that starts elsewhere replaces the old row instead of updating it: the record
    -- key holds the start (the partition key), and a row may sit in another month's partition.
    DELETE FROM activity_samples s USING winners w
    WHERE s.organization_id = $1 AND s.patient_id = $2 AND s.record_id = w.record_id AND s.record_id <> ''
      AND NOT w.created AND s.start_at <> w.start_at
  ), keyed_written AS (
    INSERT INTO activity_samples AS s (organization_id, patient_id, ${SAMPLE_COLUMNS}, import_id, record_id, revision, received_at)
    SELECT $1, $2, ${SAMPLE_COLUMNS}, $4, record_id, revision, $23 FROM winners
    ON CONFLICT (organization_id, patient_id, record_id, start_at) WHERE record_id <> '' DO UPDATE
      SET source_key = EXCLUDED.source_key, end_at = EXCLUDED.end_at,
          steps = EXCLUDED.steps, active_minutes = EXCLUDED.active_minutes, activity_type = EXCLUDED.activity_type,
          manual = EXCLUDED.manual, granularity = EXCLUDED.granularity, import_id = EXCLUDED.import_id,
          revision = EXCLUDED.revision, received_at = EXCLUDED.received_at
    RETURNING s.start_at, s.end_at
  ), withdrawn AS (
    DELETE FROM activity_samples
    WHERE organization_id = $1 AND patient_id = $2 AND record_id = ANY($24::text[]) AND record_id <> ''
    RETURNING start_at, end_at
  ), spans AS (
    SELECT start_at, end_at FROM plain_written
    UNION ALL SELECT start_at, end_at FROM keyed_written
    UNION ALL SELECT old_start, old_end FROM winners WHERE NOT created
    UNION ALL SELECT start_at, end_at FROM withdrawn
  ), days AS (${markDays('spans')}
  ), sources AS (
    -- One row per source that every import of the patient updates: at the end of the
    -- statement, so that its row lock is held until the commit only.
    INSERT INTO activity_sources (organization_id, patient_id, source_key, name, device, account, last_sample_end, last_import_at)
    SELECT $1, $2, key, name, device, account, last_end, now()
    FROM unnest($25::text[], $26::text[], $27::text[], $28::text[], $29::timestamptz[]) AS t(key, name, device, account, last_end)
    ON CONFLICT (organization_id, patient_id, source_key) DO UPDATE
      SET last_sample_end = GREATEST(activity_sources.last_sample_end, EXCLUDED.last_sample_end),
          last_import_at = now()
  ), written AS (
    SELECT (SELECT count(*) FROM plain_written) + (SELECT count(*) FILTER (WHERE created) FROM winners) AS n_inserted,
           (SELECT count(*) FILTER (WHERE NOT created) FROM winners) + (SELECT count(*) FROM withdrawn) AS n_updated
${inline ? CREATE_INLINE : COUNT_BATCH}  ), dropped AS (
    -- The samples are stored: the raw payload (health data, possibly gigabytes) is not kept.
    DELETE FROM activity_import_chunks WHERE organization_id = $1 AND import_id = $4 AND $35
  )
  SELECT n_inserted::int AS inserted, n_updated::int AS updated FROM written`;
}
const WRITE_SAMPLES = writeSamplesSql(false);
const WRITE_NEW_SAMPLES = writeSamplesSql(true);
const WRITE_INLINE = writeSamplesSql(false, true);
const WRITE_NEW_INLINE = writeSamplesSql(true, true);

/**
 * Whether the patient's rollup waits for an import still on its way, and if not, the marked
 * days taken (and the patient's adherence marked for recompute when there were any).
 */
const TAKE_MARKED_DAYS = `
  WITH deferral AS (
    SELECT EXISTS (
             SELECT 1 FROM activity_imports
             WHERE organization_id = $1 AND patient_id = $2 AND status IN ('queued', 'processing')
               AND created_at > now() - interval '${IN_FLIGHT_MINUTES} minutes')
       AND NOT EXISTS (
             SELECT 1 FROM activity_dirty_days WHERE organization_id = $1 AND patient_id = $2
               AND marked_at < now() - interval '${DEFERRED_SECONDS_MAX} seconds') AS deferred
  ), taken AS (
    DELETE FROM activity_dirty_days
    WHERE organization_id = $1 AND patient_id = $2 AND NOT (SELECT deferred FROM deferral)
    RETURNING local_date
  ), marked AS (
    INSERT INTO adherence_dirty (organization_id, patient_id)
    SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM taken)
  ), frozen_before AS (
    -- Days before the organization's raw-sample retention keep the figures they have: their
    -- samples are (or will soon be) deleted, so recomputing them would lose steps; so do the
    -- days the retention already went through, whatever the retention is now.
    SELECT GREATEST((now() AT TIME ZONE p.timezone)::date - o.sample_retention_days,
                    (o.samples_purged_before AT TIME ZONE p.timezone)::date + 1) AS day
    FROM organizations o JOIN patients p ON p.organization_id = o.id AND p.id = $2
    WHERE o.id = $1
  )
  SELECT (SELECT deferred FROM deferral) AS deferred,
         COALESCE((SELECT array_agg(DISTINCT local_date::text) FROM taken
                   WHERE local_date >= COALESCE((SELECT day FROM frozen_before), '-infinity'::date)), '{}') AS days`;

/** A batch holding a sample already stored: write it again with `skipStored`. */
export class DuplicateSampleError extends Error {
  constructor() {
    super('the batch holds a sample already stored');
  }
}

/** An import claimed by a worker, with what its parse needs of the patient. */
export interface ClaimedImport {
  id: string;
  organizationId: string;
  patientId: string;
  format: ImportFormat;
  chunkCount: number;
  /** Records committed by earlier attempts (a job resumed after a crash skips them). */
  processed: number;
  createdByKeyId: string | null;
  createdAt: Date;
  timezone: string;
}

/** One batch of an import, as parsed and checked. */
export interface SampleBatch {
  samples: ActivitySample[];
  retractions: SampleRetraction[];
}

export interface BatchCounts {
  /** Records read (samples, pains, withdrawals, rejections). */
  received: number;
  rejections: ImportError[];
  painsRecorded: number;
  painsReceived: number;
}

/** The import a write of samples belongs to, and what it needs of the patient. */
export interface ImportTarget {
  id: string;
  organizationId: string;
  patientId: string;
  timezone: string;
  /** When the import arrived: of two versions of a record with the same revision, the later wins. */
  receivedAt: Date;
}

/** An import as its organization's: the key of the import and of its payload's chunks. */
export interface ImportRef {
  id: string;
  organizationId: string;
}

export interface NewStoredImport {
  id: string;
  organizationId: string;
  patientId: string;
  format: ImportFormat;
  createdByKeyId: string | null;
}

/**
 * Wearable data: imports and their stored payloads, samples, the days marked for rollup and
 * the rollup itself, daily figures, and each source's freshness.
 */
@Injectable()
export class ActivityRepository {
  constructor(private readonly db: Db) {}

  // ---- imports and their payloads -------------------------------------------------------

  /** An import whose payload is stored in rows of at most `chunkBytes`, queued for the worker. */
  async storeImport(
    on: Executor,
    row: NewStoredImport,
    payload: Buffer,
    chunkBytes: number,
  ): Promise<void> {
    const chunks = Math.max(1, Math.ceil(payload.length / chunkBytes));
    const params = [
      row.id,
      row.organizationId,
      row.patientId,
      row.format,
      payload.length,
      chunks,
      row.createdByKeyId,
    ];
    if (chunks === 1) {
      // The common case, one statement: the import and its payload commit together.
      await on.query(
        `WITH created AS (
           INSERT INTO activity_imports (id, organization_id, patient_id, format, byte_size, chunk_count, created_by_key_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING organization_id, id)
         INSERT INTO activity_import_chunks (organization_id, import_id, seq, data)
         SELECT organization_id, id, 0, $8 FROM created`,
        [...params, payload],
      );
      return;
    }
    await on.query(
      `INSERT INTO activity_imports (id, organization_id, patient_id, format, byte_size, chunk_count, created_by_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      params,
    );
    for (let seq = 0; seq < chunks; seq++) {
      await this.storeChunk(
        on,
        row,
        seq,
        payload.subarray(seq * chunkBytes, (seq + 1) * chunkBytes),
      );
    }
  }

  /** An import whose payload streams in afterwards (`storeChunk`, then `sealStreamed`). */
  async openStreamed(tx: Tx, row: NewStoredImport): Promise<void> {
    await tx.query(
      `INSERT INTO activity_imports (id, organization_id, patient_id, format, byte_size, chunk_count, created_by_key_id)
       VALUES ($1, $2, $3, $4, 0, 0, $5)`,
      [row.id, row.organizationId, row.patientId, row.format, row.createdByKeyId],
    );
  }

  async storeChunk(on: Executor, imp: ImportRef, seq: number, data: Buffer): Promise<void> {
    await on.query(
      `INSERT INTO activity_import_chunks (organization_id, import_id, seq, data) VALUES ($1, $2, $3, $4)`,
      [imp.organizationId, imp.id, seq, data],
    );
  }

  async sealStreamed(
    tx: Tx,
    imp: { id: string; organizationId: string },
    byteSize: number,
    chunkCount: number,
  ): Promise<void> {
    await tx.query(
      `UPDATE activity_imports SET byte_size = $3, chunk_count = $4
       WHERE organization_id = $1 AND id = $2`,
      [imp.organizationId, imp.id, byteSize, chunkCount],
    );
  }

  importById(id: string): Promise<ActivityImport | null> {
    return this.db.current.getRepository(ActivityImport).findOneBy({ id });
  }

  /** Claims an import for a worker (a finished one, a replayed job, is left alone): one statement. */
  async claim(importId: string): Promise<ClaimedImport | null> {
    const [row] = await this.db.current.query<
      {
        id: string;
        organization_id: string;
        patient_id: string;
        format: ImportFormat;
        chunk_count: number;
        processed: number;
        created_by_key_id: string | null;
        created_at: Date;
        timezone: string;
      }[]
    >(
      `WITH claimed AS (
         UPDATE activity_imports SET status = 'processing', started_at = COALESCE(started_at, now()), attempts = attempts + 1
         WHERE id = $1 AND status IN ('queued', 'processing')
         RETURNING id, organization_id, patient_id, format, chunk_count, processed, created_by_key_id, created_at
       )
       SELECT c.*, p.timezone FROM claimed c
       JOIN patients p ON p.organization_id = c.organization_id AND p.id = c.patient_id`,
      [importId],
    );
    return row
      ? {
          id: row.id,
          organizationId: row.organization_id,
          patientId: row.patient_id,
          format: row.format,
          chunkCount: row.chunk_count,
          processed: row.processed,
          createdByKeyId: row.created_by_key_id,
          createdAt: row.created_at,
          timezone: row.timezone,
        }
      : null;
  }

  async chunk(imp: ImportRef, seq: number): Promise<Buffer | null> {
    const [row] = await this.db.current.query<{ data: Buffer }[]>(
      'SELECT data FROM activity_import_chunks WHERE organization_id = $1 AND import_id = $2 AND seq = $3',
      [imp.organizationId, imp.id, seq],
    );
    return row?.data ?? null;
  }

  /** A failed import: why, and its payload dropped (nothing will read it again). */
  async fail(imp: ImportRef, reason: string): Promise<void> {
    await this.db.current.query(
      `WITH failed AS (
         UPDATE activity_imports SET status = 'failed', failure_reason = $3, completed_at = now()
         WHERE organization_id = $1 AND id = $2
       )
       DELETE FROM activity_import_chunks WHERE organization_id = $1 AND import_id = $2`,
      [imp.organizationId, imp.id, reason.slice(0, 500)],
    );
  }

  /**
   * Imports stored but never queued (Redis was away), and imports left processing whose job may
   * be gone (Redis keeps nothing on disk; a changed queue prefix), oldest first. Queuing one
   * whose job still exists is a no-op: the job id is the import's.
   */
  async staleQueued(limit: number): Promise<string[]> {
    const rows = await this.db.current.query<{ id: string }[]>(
      `SELECT id FROM activity_imports
       WHERE (status = 'queued' AND created_at < now() - interval '30 seconds')
          OR (status = 'processing' AND started_at < now() - interval '10 minutes')
       ORDER BY created_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  // ---- samples ------------------------------------------------------------------------

  /**
   * Writes a batch in one statement: its samples and withdrawals, their days marked, the
   * sources' freshness, and the batch's counts on its import (completing it with `last`).
   * Most batches are new data, written with a plain insert at COPY-like cost. A batch holding a
   * stored sample (a replay, an overlap) fails on the natural key (DuplicateSampleError): the
   * caller writes it again in a new transaction with `skipStored`, which skips stored samples at
   * the cost of a speculative insertion per row (measured about 2x the WAL).
   */
  async writeBatch(
    tx: Tx,
    imp: ImportTarget,
    batch: SampleBatch,
    counts: BatchCounts,
    options: { last: boolean; skipStored: boolean },
  ): Promise<{ inserted: number; updated: number }> {
    return this.runWrite(
      tx,
      options.skipStored ? WRITE_NEW_SAMPLES : WRITE_SAMPLES,
      batchParams(imp, batch, counts, options.last),
      options.skipStored,
      identifiedPatient(imp, batch),
    );
  }

  /**
   * An import written in its request (a native batch): the import row, created complete with
   * its counts, and its samples, days and sources, in one statement (see writeBatch).
   */
  async writeInline(
    on: Executor,
    imp: ImportTarget & { format: ImportFormat; byteSize: number; createdByKeyId: string | null },
    batch: SampleBatch,
    counts: Pick<BatchCounts, 'received' | 'rejections'>,
    skipStored: boolean,
  ): Promise<{ inserted: number; updated: number }> {
    return this.runWrite(
      on,
      skipStored ? WRITE_NEW_INLINE : WRITE_INLINE,
      [
        ...batchParams(
          imp,
          batch,
          {
            ...counts,
            rejections: counts.rejections.slice(0, MAX_STORED_ERRORS),
            painsRecorded: 0,
            painsReceived: 0,
          },
          true,
        ),
        imp.format,
        imp.byteSize,
        imp.createdByKeyId,
      ],
      skipStored,
      identifiedPatient(imp, { ...batch, retractions: [] }),
    );
  }

  /**
   * Runs a write; one that reads stored versions of records (`lockPatient`) first takes the
   * patient's sample lock, in a transaction: no unique key spans the partitions to tell two
   * writers of one record apart, so two of them must not both take it for new.
   */
  private async runWrite(
    on: Executor,
    sql: string,
    params: unknown[],
    skipStored: boolean,
    lockPatient: string | null,
  ): Promise<{ inserted: number; updated: number }> {
    const write = async (m: Executor) => {
      if (lockPatient) {
        await m.query(`SELECT pg_advisory_xact_lock(hashtext('activity_samples'), hashtext($1))`, [
          lockPatient,
        ]);
      }
      const [written] = await runPrepared<{ inserted: number; updated: number }>(
        m,
        prepared(sql),
        params,
      );
      return written;
    };
    try {
      return lockPatient && !on.queryRunner?.isTransactionActive
        ? await on.transaction(write)
        : await write(on);
    } catch (err) {
      if (!skipStored && sqlState(err) === UNIQUE_VIOLATION) {
        throw new DuplicateSampleError();
      }
      throw err;
    }
  }

  // ---- rollup -------------------------------------------------------------------------

  /**
   * Rolls up a patient's marked days, unless another import of the patient is still on its way:
   * that one will, when it ends, so imports arriving together share one rollup instead of each
   * re-reading the same days. Under the patient's lock, after the caller's import is marked
   * completed or failed in the same transaction: of imports ending together, the last to take
   * the lock sees no other in flight and rolls up every day marked by then. An import stuck for
   * more than a few minutes does not hold the others' days back, and the sweep settles any day
   * left marked. Answers how many days it rolled up, or null when deferred.
   */
  async rollUpMarkedDays(
    tx: Tx,
    organizationId: string,
    patientId: string,
  ): Promise<number | null> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [patientId]);
    const [{ deferred, days }] = await tx.query<{ deferred: boolean; days: string[] }[]>(
      TAKE_MARKED_DAYS,
      [organizationId, patientId],
    );
    if (deferred) return null;
    if (days.length > 0)
      await tx.query(ACTIVITY_ROLLUP_SQL, rollupParams(organizationId, patientId, days));
    return days.length;
  }

  /** Patients with days left marked (their rollup was deferred), a page of them. */
  patientsWithMarkedDays(limit: number): Promise<{ organizationId: string; patientId: string }[]> {
    return this.db.current.query(
      `SELECT DISTINCT organization_id AS "organizationId", patient_id AS "patientId"
       FROM activity_dirty_days LIMIT $1`,
      [limit],
    );
  }

  // ---- reading ------------------------------------------------------------------------
  // The days and the sources' freshness: the worker rolls the days up after the import anyway, so
  // they are read from the read replica (docs/read-replica.md).

  daily(
    organizationId: string,
    patientId: string,
    from: string,
    to: string,
  ): Promise<ActivityDaily[]> {
    return this.db.replicaRead((m) =>
      m.getRepository(ActivityDaily).find({
        where: { organizationId, patientId, localDate: Between(from, to) },
        order: { localDate: 'ASC' },
      }),
    );
  }

  sources(organizationId: string, patientId: string): Promise<ActivitySource[]> {
    return this.db.replicaRead((m) =>
      m.getRepository(ActivitySource).find({
        where: { organizationId, patientId },
        order: { name: 'ASC' },
      }),
    );
  }

  /** For tests and maintenance: how many samples a patient has. */
  async sampleCount(patientId: string): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      this.db.current,
      'SELECT count(*)::int AS n FROM activity_samples WHERE patient_id = $1',
      [patientId],
    );
    return row.n;
  }
}

/** The parameters $1–$36 of a write of samples (see writeSamplesSql). */
/** The patient whose sample lock a write takes: one with records the source identifies. */
function identifiedPatient(imp: ImportTarget, batch: SampleBatch): string | null {
  return batch.retractions.length > 0 || batch.samples.some((x) => x.record !== null)
    ? imp.patientId
    : null;
}

function batchParams(
  imp: ImportTarget,
  batch: SampleBatch,
  counts: BatchCounts,
  last: boolean,
): unknown[] {
  const plain = batch.samples.filter((x) => x.record === null);
  const keyed = batch.samples.filter((x) => x.record !== null);
  const latest = new Map<string, ActivitySample>();
  for (const sample of batch.samples) {
    const key = sourceKey(sample);
    const seen = latest.get(key);
    if (!seen || sample.end > seen.end) latest.set(key, sample);
  }
  const sources = [...latest.entries()];
  return [
    imp.organizationId,
    imp.patientId,
    imp.timezone,
    imp.id,
    ...columns(plain),
    ...columns(keyed),
    keyed.map((x) => x.record?.id),
    keyed.map((x) => x.record?.revision),
    imp.receivedAt,
    batch.retractions.map((r) => r.recordId),
    sources.map(([key]) => key),
    sources.map(([, s]) => s.source.name),
    sources.map(([, s]) => s.source.device),
    sources.map(([, s]) => s.source.account ?? null),
    sources.map(([, s]) => s.end),
    counts.received,
    counts.rejections.length,
    counts.painsRecorded,
    counts.painsReceived,
    JSON.stringify(counts.rejections),
    last,
    batch.samples.length + batch.retractions.length,
  ];
}

/** A batch's samples as the eight arrays of the statement's input. */
function columns(s: ActivitySample[]): unknown[] {
  return [
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
