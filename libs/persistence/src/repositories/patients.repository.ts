import type { Role, StartBackStratum } from '@app/domain';
import { Injectable } from '@nestjs/common';
import type { SelectQueryBuilder } from 'typeorm';
import { Db, prepared, queryRows, runPrepared, type Executor } from '../db.service';
import { Enrollment, Patient } from '../entities';
import { keysetPage, type KeysetPage, type PageRequest } from '../keyset-page';

/** Who is looking: the patients an API key may see follow from these. */
export interface Viewer {
  organizationId: string;
  role: Role;
  clinicianId: string | null;
  clientAppId: string | null;
}

export type NewPatient = Pick<
  Patient,
  | 'organizationId'
  | 'externalRef'
  | 'timezone'
  | 'clinicianId'
  | 'symptomOnsetDate'
  | 'condition'
  | 'baselinePainIntensity'
  | 'baselinePainSite'
  | 'baselinePainSide'
>;

export interface EnrollmentRow {
  patientId: string;
  clientAppId: string;
  consentedAt: Date;
  revokedAt: Date | null;
}

/**
 * The one place that decides which patients a key may see: its organization's, and within it
 * a clinician's own patients, an app's enrolled patients, every patient for an admin.
 * Dashboard keys see none (aggregates only).
 */
export function visibleTo<T extends object>(
  qb: SelectQueryBuilder<T>,
  viewer: Viewer,
  alias = 'p',
): SelectQueryBuilder<T> {
  qb.andWhere(`${alias}.organization_id = :viewerOrg`, { viewerOrg: viewer.organizationId });
  switch (viewer.role) {
    case 'admin':
      return qb;
    case 'clinician':
      return qb.andWhere(`${alias}.clinician_id = :viewerClinician`, {
        viewerClinician: viewer.clinicianId,
      });
    case 'app':
      return qb.andWhere(
        `EXISTS (SELECT 1 FROM enrollments e WHERE e.organization_id = ${alias}.organization_id
           AND e.patient_id = ${alias}.id AND e.client_app_id = :viewerApp AND e.revoked_at IS NULL)`,
        { viewerApp: viewer.clientAppId },
      );
    case 'dashboard':
      return qb.andWhere('false');
  }
}

/**
 * visibleTo for hand-written SQL: the condition on the patient row `p`, its values appended to
 * `params` (an empty condition for null, the worker, which sees every patient).
 */
export function visibleSql(viewer: Viewer | null, params: unknown[]): string {
  if (!viewer) return '';
  params.push(viewer.organizationId);
  const org = `AND p.organization_id = $${params.length}`;
  switch (viewer.role) {
    case 'admin':
      return org;
    case 'clinician':
      params.push(viewer.clinicianId);
      return `${org} AND p.clinician_id = $${params.length}`;
    case 'app':
      params.push(viewer.clientAppId);
      return `${org} AND EXISTS (SELECT 1 FROM enrollments e WHERE e.organization_id = p.organization_id
        AND e.patient_id = p.id AND e.client_app_id = $${params.length} AND e.revoked_at IS NULL)`;
    case 'dashboard':
      return 'AND false';
  }
}

/** A patient's latest STarT Back screening, as the patient's record shows it. */
export interface CurrentStartBack {
  questionnaireId: string;
  completedAt: string;
  total: number;
  psychosocial: number;
  stratum: StartBackStratum;
}

/** A patient row as the Patient entity holds it (dates as text, as TypeORM gives them). */
const PATIENT_COLUMNS = `p.id, p.organization_id AS "organizationId", p.external_ref AS "externalRef",
  p.timezone, p.clinician_id AS "clinicianId", p.symptom_onset_date::text AS "symptomOnsetDate",
  p.condition, p.baseline_pain_intensity AS "baselinePainIntensity",
  p.baseline_pain_site AS "baselinePainSite", p.baseline_pain_side AS "baselinePainSide",
  p.created_at AS "createdAt", p.updated_at AS "updatedAt"`;

/** Patients, who may see them, and their enrollments (an app's consent to act for them). */
@Injectable()
export class PatientsRepository {
  constructor(private readonly db: Db) {}

  /**
   * The patient if the viewer may see it, else null. With `lock`, the row stays locked until the
   * transaction of `on` ends, and its records version moves on: a program change runs alone,
   * and a write of records decided before it decides again (see RecordsVersion).
   */
  async findVisible(
    viewer: Viewer,
    patientId: string,
    on: Executor = this.db.current,
    lock = false,
  ): Promise<Patient | null> {
    // Every call about a patient starts here: a prepared statement, not the query builder.
    const params: unknown[] = [patientId];
    const visible = visibleSql(viewer, params);
    const sql = lock
      ? `UPDATE patients p SET records_version = p.records_version + 1
         WHERE p.id = $1 ${visible} RETURNING ${PATIENT_COLUMNS}`
      : `SELECT ${PATIENT_COLUMNS} FROM patients p WHERE p.id = $1 ${visible}`;
    const [row] = await runPrepared<Patient>(on, prepared(sql), params);
    return row ? Object.assign(new Patient(), row) : null;
  }

  /**
   * The patient as findVisible reads it, with its current STarT Back result: the questionnaire
   * completed last (null when it has none), by a backward probe of the instrument's index.
   */
  async findVisibleWithStratum(
    viewer: Viewer,
    patientId: string,
  ): Promise<{ patient: Patient; startBack: CurrentStartBack | null } | null> {
    const params: unknown[] = [patientId];
    const visible = visibleSql(viewer, params);
    const sql = `SELECT ${PATIENT_COLUMNS}, sb.start_back AS "startBack"
      FROM patients p
      LEFT JOIN LATERAL (
        SELECT jsonb_build_object('questionnaireId', q.id, 'completedAt', q.completed_at,
                                  'total', q.score->'total', 'psychosocial', q.score->'psychosocial',
                                  'stratum', q.score->'stratum') AS start_back
        FROM questionnaires q
        WHERE q.organization_id = p.organization_id AND q.patient_id = p.id AND q.instrument = 'startback'
        ORDER BY q.completed_at DESC, q.id DESC LIMIT 1
      ) sb ON true
      WHERE p.id = $1 ${visible}`;
    const [row] = await runPrepared<Patient & { startBack: CurrentStartBack | null }>(
      this.db.current,
      prepared(sql),
      params,
    );
    if (!row) return null;
    const { startBack, ...patient } = row;
    return { patient: Object.assign(new Patient(), patient), startBack };
  }

  exists(patientId: string): Promise<boolean> {
    return this.db.current.getRepository(Patient).existsBy({ id: patientId });
  }

  visiblePage(viewer: Viewer, page: PageRequest): Promise<KeysetPage<Patient>> {
    return keysetPage(
      visibleTo(this.db.current.getRepository(Patient).createQueryBuilder('p'), viewer),
      page,
    );
  }

  externalRefTaken(organizationId: string, externalRef: string): Promise<boolean> {
    return this.db.current.getRepository(Patient).existsBy({ organizationId, externalRef });
  }

  insert(patient: NewPatient): Promise<Patient> {
    const patients = this.db.current.getRepository(Patient);
    return patients.save(patients.create(patient));
  }

  /**
   * Saves a changed patient and marks it for the worker's next update, in one transaction: its
   * time zone moves its local days, its clinician moves it to another worklist.
   */
  save(patient: Patient): Promise<Patient> {
    return this.db.transaction(async (tx) => {
      const saved = await tx.getRepository(Patient).save(patient);
      await tx.query(`INSERT INTO adherence_dirty (organization_id, patient_id) VALUES ($1, $2)`, [
        saved.organizationId,
        saved.id,
      ]);
      return saved;
    });
  }

  /**
   * Records an app's consent. Consent given again after a withdrawal re-opens the same
   * enrollment; repeating an active one keeps its original consent time.
   */
  async enroll(
    organizationId: string,
    patientId: string,
    clientAppId: string,
  ): Promise<EnrollmentRow> {
    const [row] = await this.db.current.query<
      { patient_id: string; client_app_id: string; consented_at: Date; revoked_at: Date | null }[]
    >(
      `INSERT INTO enrollments (organization_id, patient_id, client_app_id) VALUES ($1, $2, $3)
       ON CONFLICT (organization_id, patient_id, client_app_id) DO UPDATE
         SET consented_at = CASE WHEN enrollments.revoked_at IS NULL THEN enrollments.consented_at ELSE now() END,
             revoked_at = NULL
       RETURNING patient_id, client_app_id, consented_at, revoked_at`,
      [organizationId, patientId, clientAppId],
    );
    return {
      patientId: row.patient_id,
      clientAppId: row.client_app_id,
      consentedAt: row.consented_at,
      revokedAt: row.revoked_at,
    };
  }

  enrollments(organizationId: string, patientId: string): Promise<Enrollment[]> {
    return this.db.current.getRepository(Enrollment).find({
      where: { organizationId, patientId },
      order: { consentedAt: 'ASC' },
    });
  }

  /** Withdraws an app's consent (keeping the first withdrawal time); false if there was none. */
  async revokeEnrollment(
    organizationId: string,
    patientId: string,
    clientAppId: string,
  ): Promise<boolean> {
    const rows = await queryRows<{ patient_id: string }>(
      this.db.current,
      `UPDATE enrollments SET revoked_at = COALESCE(revoked_at, now())
       WHERE organization_id = $1 AND patient_id = $2 AND client_app_id = $3 RETURNING patient_id`,
      [organizationId, patientId, clientAppId],
    );
    return rows.length > 0;
  }
}
