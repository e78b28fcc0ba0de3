import type { LocalDay, ProgressionFlag, RemoteMonitoringCode } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { Db } from '../db.service';
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

/** What GET /v1/patients/{id}/flags reads: the worker's last computation. */
export interface StoredProgress {
  readonly asOf: LocalDay;
  readonly flags: ProgressionFlag[];
  readonly computedAt: Date;
}

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

/**
 * Adherence results and their bookkeeping: the marks of patients whose records changed, the
 * weekly figures (adherence_weeks) and current flags (patient_progress) the worker writes.
 * See docs/adherence.md.
 */
@Injectable()
export class AdherenceRepository {
  constructor(private readonly db: Db) {}

  /** The patients of a batch that exist, with their zones. */
  async patientZones(patients: readonly PatientRef[]): Promise<PatientZone[]> {
    const rows = await this.db.current.query<
      { organization_id: string; id: string; timezone: string }[]
    >(PATIENT_ZONES, [patients.map((p) => p.organizationId), patients.map((p) => p.patientId)]);
    return rows.map((r) => ({
      organizationId: r.organization_id,
      patientId: r.id,
      timezone: r.timezone,
    }));
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

  /** The patient's last computed flags; null before the first computation. */
  async progressOf(organizationId: string, patientId: string): Promise<StoredProgress | null> {
    const [row] = await this.db.current.query<
      { as_of: LocalDay; flags: ProgressionFlag[]; computed_at: Date }[]
    >(PROGRESS_OF, [organizationId, patientId]);
    return row ? { asOf: row.as_of, flags: row.flags, computedAt: row.computed_at } : null;
  }
}
