import type { LocalDay, ProgressionFlag, RemoteMonitoringCode } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { vacuumAsOwner } from '../database-roles';
import { Db, queryRows, type Tx } from '../db.service';
import type { PatientRef } from './adherence-inputs.repository';
import { ADHERENCE_WEEKS_SQL } from './adherence-weeks.sql';

/** A patient of a batch to compute, with the zone its days are counted in. */
export interface PatientZone extends PatientRef {
  readonly timezone: string;
}

/** One patient's weeks to recompute: up to its last closed day, with its active-day share. */
export interface WeeksOfPatient extends PatientRef {
  readonly lastDay: LocalDay;
  /** The share of the walking goal that makes a day active, in % (the organization's). */
  readonly activeDayStepPercent: number;
}

/** A patient's current flags and eligibility, as of a patient-local day. */
export interface PatientProgress extends PatientRef {
  readonly asOf: LocalDay;
  readonly flags: readonly ProgressionFlag[];
  readonly dataDays30: number;
  readonly remoteMonitoringCode: RemoteMonitoringCode | null;
}

/** A period's plan: its chunk count, the run it is (its start, in µs) and the chunks computed. */
export interface PeriodPlan {
  readonly chunks: number;
  readonly run: string;
  readonly done: number[];
}

/** A chunk's share of the patient ids: `from` included, `to` excluded (null: to the end). */
export interface PatientIdRange {
  readonly from: string;
  readonly to: string | null;
}

/** What GET /v1/patients/{id}/flags reads: the worker's last computation. */
export interface StoredProgress {
  readonly asOf: LocalDay;
  readonly flags: ProgressionFlag[];
  readonly computedAt: Date;
}

// The patients of a period: with a current program and, for an hourly period, a local date at
// the period's instant ($1) other than an hour before (their day ended within that hour); $2
// true for a full period (every patient with a program); $3 an organization, for a full period
// of its patients only (null: every organization's).
const PERIOD_PATIENTS = `
  FROM patients pa
  JOIN programs pr ON pr.organization_id = pa.organization_id AND pr.patient_id = pa.id AND pr.superseded_at IS NULL
  WHERE ($2::boolean OR (($1::timestamptz AT TIME ZONE pa.timezone)::date
                         <> (($1::timestamptz - interval '1 hour') AT TIME ZONE pa.timezone)::date))
    AND ($3::uuid IS NULL OR pa.organization_id = $3::uuid)`;

const COUNT_PERIOD_PATIENTS = `SELECT count(*)::int AS patients ${PERIOD_PATIENTS}`;

/**
 * $4..$5 the chunk's share of the patient ids (a range scan of the primary key). With their
 * zones, which the computation needs: looking them up again cost a statement per chunk.
 */
const CHUNK_PATIENTS = `
  SELECT pa.organization_id, pa.id, pa.timezone ${PERIOD_PATIENTS}
    AND pa.id >= $4::uuid AND ($5::uuid IS NULL OR pa.id < $5::uuid)`;

// The first plan stands, whoever wrote it.
const INSERT_PERIOD = `INSERT INTO adherence_periods (period, chunks) VALUES ($1, $2) ON CONFLICT DO NOTHING`;

const OPEN_PLAN = `
  SELECT p.chunks, (extract(epoch FROM p.started_at) * 1000000)::bigint::text AS run,
         ARRAY(SELECT c.chunk FROM adherence_period_chunks c WHERE c.period = p.period) AS done
  FROM adherence_periods p WHERE p.period = $1 AND p.completed_at IS NULL`;

// A completed plan is dropped (its chunk rows cascade), so that queuing the period plans it
// anew; an open one stays and goes on. The SELECT reads the snapshot from before the DELETE.
const FORGET_COMPLETED_PERIOD = `
  WITH gone AS (
    DELETE FROM adherence_periods WHERE period = $1 AND completed_at IS NOT NULL RETURNING 1
  )
  SELECT EXISTS (SELECT FROM gone) AS completed,
         EXISTS (SELECT FROM adherence_periods WHERE period = $1 AND completed_at IS NULL) AS running`;

// A second claim of the chunk waits for the first transaction, then conflicts: no row back.
const CLAIM_CHUNK = `
  INSERT INTO adherence_period_chunks (period, chunk, patients) VALUES ($1, $2, 0)
  ON CONFLICT DO NOTHING RETURNING 1`;

// The chunk's own count and its period's counters in one statement (one round trip, not two).
const COMPLETE_CHUNK = `
  WITH chunk AS (
    UPDATE adherence_period_chunks SET patients = $3 WHERE period = $1 AND chunk = $2
  )
  UPDATE adherence_periods SET chunks_done = chunks_done + 1, patients = patients + $3,
    completed_at = CASE WHEN chunks_done + 1 = chunks THEN now() END
  WHERE period = $1
  RETURNING completed_at IS NOT NULL AS completed`;

// Overlapping jobs take disjoint marks (SKIP LOCKED); several marks of a patient are one. The
// patients come with their zones (a mark always has its patient: it cascades from it).
const TAKE_DIRTY = `
  WITH taken AS (
    DELETE FROM adherence_dirty WHERE ctid IN (
      SELECT ctid FROM adherence_dirty ORDER BY marked_at LIMIT $1 FOR UPDATE SKIP LOCKED)
    RETURNING organization_id, patient_id
  )
  SELECT DISTINCT t.organization_id, t.patient_id AS id, pa.timezone
  FROM taken t JOIN patients pa ON pa.organization_id = t.organization_id AND pa.id = t.patient_id`;

/** The tables the dashboards read by index-only scans. */
const RESULT_TABLES = ['adherence_weeks', 'patient_progress'];

const PATIENT_ZONES = `
  SELECT pa.organization_id, pa.id, pa.timezone
  FROM unnest($1::uuid[], $2::uuid[]) AS b(organization_id, patient_id)
  JOIN patients pa ON pa.organization_id = b.organization_id AND pa.id = b.patient_id`;

const ORGANIZATION_SETTINGS = `SELECT id, settings FROM organizations WHERE id = ANY($1::uuid[])`;

// Never back in time: a late period (as of its hour) leaves a newer computation standing. And
// a row equal to the stored one is not rewritten: a rerun writes no tuple.
const UPSERT_PROGRESS = `
  INSERT INTO patient_progress AS p (organization_id, patient_id, as_of, flags, data_days_30, remote_monitoring_code, computed_at)
  SELECT o, pid, as_of, flags, data_days, code, now()
  FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::jsonb[], $5::int[], $6::text[])
    AS t(o, pid, as_of, flags, data_days, code)
  ON CONFLICT (organization_id, patient_id) DO UPDATE
    SET as_of = EXCLUDED.as_of, flags = EXCLUDED.flags, data_days_30 = EXCLUDED.data_days_30,
        remote_monitoring_code = EXCLUDED.remote_monitoring_code, computed_at = now()
    WHERE p.as_of <= EXCLUDED.as_of
      AND (p.as_of, p.flags, p.data_days_30, p.remote_monitoring_code)
          IS DISTINCT FROM (EXCLUDED.as_of, EXCLUDED.flags, EXCLUDED.data_days_30, EXCLUDED.remote_monitoring_code)`;

const PROGRESS_OF = `
  SELECT as_of::text AS as_of, flags, computed_at
  FROM patient_progress WHERE organization_id = $1 AND patient_id = $2`;

interface ZoneRow {
  organization_id: string;
  id: string;
  timezone: string;
}

function zonesOf(rows: readonly ZoneRow[]): PatientZone[] {
  return rows.map((r) => ({
    organizationId: r.organization_id,
    patientId: r.id,
    timezone: r.timezone,
  }));
}

/**
 * Adherence results and their bookkeeping: the marks of patients whose records changed
 * (adherence_dirty), the scheduled periods and their chunks, and the weekly figures
 * (adherence_weeks) and current flags (patient_progress) the worker writes. See
 * docs/adherence.md.
 */
@Injectable()
export class AdherenceRepository {
  constructor(private readonly db: Db) {}

  /** How many patients a period computes (see PERIOD_PATIENTS). */
  async countPeriodPatients(
    at: Date,
    full: boolean,
    organizationId: string | null = null,
  ): Promise<number> {
    const [{ patients }] = await this.db.current.query<{ patients: number }[]>(
      COUNT_PERIOD_PATIENTS,
      [at, full, organizationId],
    );
    return patients;
  }

  /** Plans a period in `chunks` chunks, unless it was planned already (the first plan stands). */
  async insertPeriod(period: string, chunks: number): Promise<void> {
    await this.db.current.query(INSERT_PERIOD, [period, chunks]);
  }

  /**
   * Makes way for a forced rerun of a period: deletes its plan if it completed, so that its next
   * job plans it again; one still running is left to finish. Answers what the period had.
   */
  async forgetCompletedPeriod(period: string): Promise<'none' | 'completed' | 'running'> {
    const [row] = await queryRows<{ completed: boolean; running: boolean }>(
      this.db.current,
      FORGET_COMPLETED_PERIOD,
      [period],
    );
    return row.completed ? 'completed' : row.running ? 'running' : 'none';
  }

  /** The plan of a period not yet completed; null if completed or never planned. */
  async openPlan(period: string): Promise<PeriodPlan | null> {
    const [plan] = await this.db.current.query<PeriodPlan[]>(OPEN_PLAN, [period]);
    return plan ?? null;
  }

  /**
   * Claims a chunk of a period for this transaction: false if it was computed already. The
   * claim commits with the chunk's results, or rolls back with them.
   */
  async claimChunk(tx: Tx, period: string, chunk: number): Promise<boolean> {
    const claimed = await tx.query<unknown[]>(CLAIM_CHUNK, [period, chunk]);
    return claimed.length > 0;
  }

  /** The patients of a period whose ids fall in the range (a chunk's share), with their zones. */
  async chunkPatients(
    tx: Tx,
    at: Date,
    full: boolean,
    organizationId: string | null,
    ids: PatientIdRange,
  ): Promise<PatientZone[]> {
    return zonesOf(
      await tx.query<ZoneRow[]>(CHUNK_PATIENTS, [at, full, organizationId, ids.from, ids.to]),
    );
  }

  /**
   * Records a claimed chunk as computed for `patients` patients and adds it to its period's
   * counters; true if it was the period's last chunk (the period is then completed).
   */
  async completeChunk(tx: Tx, period: string, chunk: number, patients: number): Promise<boolean> {
    const [done] = await queryRows<{ completed: boolean }>(tx, COMPLETE_CHUNK, [
      period,
      chunk,
      patients,
    ]);
    return done.completed;
  }

  /**
   * Marks for the next update the patients without a current program whose local day began in
   * the hour before `at` (the periods compute only patients with one).
   */
  async markUnprogrammedAtMidnight(at: Date): Promise<void> {
    await this.db.current.query(
      `INSERT INTO adherence_dirty (organization_id, patient_id)
       SELECT pa.organization_id, pa.id FROM patients pa
        WHERE NOT EXISTS (SELECT 1 FROM programs pr WHERE pr.organization_id = pa.organization_id
                            AND pr.patient_id = pa.id AND pr.superseded_at IS NULL)
          AND ($1::timestamptz AT TIME ZONE pa.timezone)::date
              <> (($1::timestamptz - interval '1 hour') AT TIME ZONE pa.timezone)::date`,
      [at],
    );
  }

  /**
   * Takes (deletes) up to `limit` of the oldest marks, skipping those another transaction
   * holds, and answers their patients with their zones. A rollback puts the marks back.
   */
  async takeDirty(tx: Tx, limit: number): Promise<PatientZone[]> {
    return zonesOf(await tx.query<ZoneRow[]>(TAKE_DIRTY, [limit]));
  }

  /**
   * VACUUM (ANALYZE) of the results, for the dashboards' index-only scans: only the tables'
   * owner may (PostgreSQL 15), so on a short-lived connection of the owner's URL.
   */
  vacuumResults(ownerUrl: string): Promise<void> {
    return vacuumAsOwner(ownerUrl, RESULT_TABLES);
  }

  /** The patients of a batch that exist, with their zones. */
  async patientZones(patients: readonly PatientRef[]): Promise<PatientZone[]> {
    return zonesOf(
      await this.db.current.query<ZoneRow[]>(PATIENT_ZONES, [
        patients.map((p) => p.organizationId),
        patients.map((p) => p.patientId),
      ]),
    );
  }

  /** The stored settings of each of these organizations. */
  async organizationSettings(
    organizationIds: readonly string[],
  ): Promise<Map<string, Record<string, unknown>>> {
    const rows = await this.db.current.query<{ id: string; settings: Record<string, unknown> }[]>(
      ORGANIZATION_SETTINGS,
      [organizationIds],
    );
    return new Map(rows.map((r) => [r.id, r.settings]));
  }

  /**
   * Recomputes the weeks of a batch (ADHERENCE_WEEKS_SQL) from the week of `weeksFrom` to each
   * patient's last day, in one statement. Patients without a current program are left out.
   */
  async upsertWeeks(weeksFrom: LocalDay, patients: readonly WeeksOfPatient[]): Promise<void> {
    await this.db.current.query(ADHERENCE_WEEKS_SQL, [
      patients.map((p) => p.organizationId),
      patients.map((p) => p.patientId),
      weeksFrom,
      patients.map((p) => p.lastDay),
      patients.map((p) => p.activeDayStepPercent),
    ]);
  }

  /** Stores the flags and eligibility of a batch, never over a later `as_of`. */
  async upsertProgress(rows: readonly PatientProgress[]): Promise<void> {
    await this.db.current.query(UPSERT_PROGRESS, [
      rows.map((r) => r.organizationId),
      rows.map((r) => r.patientId),
      rows.map((r) => r.asOf),
      rows.map((r) => JSON.stringify(r.flags)),
      rows.map((r) => r.dataDays30),
      rows.map((r) => r.remoteMonitoringCode),
    ]);
  }

  /**
   * The patient's last computed flags; null before the first computation. From the read replica
   * (docs/read-replica.md): the worker's last run is older than the replica's lag.
   */
  async progressOf(organizationId: string, patientId: string): Promise<StoredProgress | null> {
    const [row] = await this.db.replicaRead((m) =>
      m.query<{ as_of: LocalDay; flags: ProgressionFlag[]; computed_at: Date }[]>(PROGRESS_OF, [
        organizationId,
        patientId,
      ]),
    );
    return row ? { asOf: row.as_of, flags: row.flags, computedAt: row.computed_at } : null;
  }
}
