import { Patient } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
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
  constructor(@InjectRepository(Patient) private readonly patients: Repository<Patient>) {}

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

  /** The patient if the caller may see it; otherwise 404, whether or not it exists. */
  async findVisible(caller: Caller, patientId: string): Promise<Patient> {
    const patient = await this.restrict(this.patients.createQueryBuilder('p'), caller)
      .andWhere('p.id = :patientId', { patientId })
      .getOne();
    if (patient) return patient;
    // Same answer either way; only the audit row tells a denial from a missing record.
    if (await this.patients.existsBy({ id: patientId })) throw new PatientNotVisibleException();
    throw notFound('patient');
  }
}
