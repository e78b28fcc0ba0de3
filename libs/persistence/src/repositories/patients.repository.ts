import type { Role } from '@app/domain';
import { Injectable } from '@nestjs/common';
import type { SelectQueryBuilder } from 'typeorm';
import { Db, queryRows, type Executor } from '../db.service';
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

/** Patients, who may see them, and their enrollments (an app's consent to act for them). */
@Injectable()
export class PatientsRepository {
  constructor(private readonly db: Db) {}

  /**
   * The patient if the viewer may see it, else null. With `lock`, the row stays locked until the
   * transaction of `on` ends: writes that evaluate a patient's history run one at a time.
   */
  findVisible(
    viewer: Viewer,
    patientId: string,
    on: Executor = this.db.current,
    lock = false,
  ): Promise<Patient | null> {
    const qb = visibleTo(on.getRepository(Patient).createQueryBuilder('p'), viewer).andWhere(
      'p.id = :patientId',
      { patientId },
    );
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
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

  save(patient: Patient): Promise<Patient> {
    return this.db.current.getRepository(Patient).save(patient);
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
