import { Db, Patient } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { Repository, SelectQueryBuilder } from 'typeorm';
import { PatientNotVisibleException } from '../audit/audit.service';
import type { Caller } from '../auth/caller';
import { notFound } from '../common/problem';

/**
 * The one place that decides which patients a key may see: its organization's, and within it
 * a clinician's own patients, an app's enrolled patients, every patient for an admin.
 * Dashboard keys see none (aggregates only).
 */
@Injectable()
export class PatientAccessService {
  constructor(private readonly db: Db) {}

  private get patients(): Repository<Patient> {
    return this.db.repo(Patient);
  }

  /** Restricts a query over patients (aliased `alias`) to those the caller may see. */
  restrict<T extends object>(
    qb: SelectQueryBuilder<T>,
    caller: Caller,
    alias = 'p',
  ): SelectQueryBuilder<T> {
    qb.andWhere(`${alias}.organization_id = :callerOrg`, { callerOrg: caller.organizationId });
    switch (caller.role) {
      case 'admin':
        return qb;
      case 'clinician':
        return qb.andWhere(`${alias}.clinician_id = :callerClinician`, {
          callerClinician: caller.clinicianId,
        });
      case 'app':
        return qb.andWhere(
          `EXISTS (SELECT 1 FROM enrollments e WHERE e.organization_id = ${alias}.organization_id
             AND e.patient_id = ${alias}.id AND e.client_app_id = :callerApp AND e.revoked_at IS NULL)`,
          { callerApp: caller.clientAppId },
        );
      case 'dashboard':
        return qb.andWhere('false');
    }
  }

  /**
   * The patient if the caller may see it; otherwise 404, whether or not it exists. With
   * `lock`, the patient row stays locked until the transaction ends: writes that evaluate the
   * patient's history (rules, program status) run one at a time per patient.
   */
  async findVisible(caller: Caller, patientId: string, lock = false): Promise<Patient> {
    const qb = this.restrict(this.patients.createQueryBuilder('p'), caller).andWhere(
      'p.id = :patientId',
      {
        patientId,
      },
    );
    if (lock) qb.setLock('pessimistic_write');
    const patient = await qb.getOne();
    if (patient) return patient;
    // Same answer either way; only the audit row tells a denial from a missing record.
    if (await this.patients.existsBy({ id: patientId })) throw new PatientNotVisibleException();
    throw notFound('patient');
  }
}
