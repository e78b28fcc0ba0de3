import { Patient, PatientsRepository, type Tx } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { PatientNotVisibleException } from '../audit/audit.service';
import type { Caller } from '../auth/caller';
import { notFound } from '../common/problem';

/**
 * A patient as the caller may see it: its organization's, and within it a clinician's own
 * patients, an app's enrolled patients, every patient for an admin; dashboard keys none. The
 * rule itself is PatientsRepository's `visibleTo`.
 */
@Injectable()
export class PatientAccessService {
  constructor(private readonly patients: PatientsRepository) {}

  /** The patient if the caller may see it; otherwise 404, whether or not it exists. */
  async findVisible(caller: Caller, patientId: string): Promise<Patient> {
    return this.orNotFound(await this.patients.findVisible(caller, patientId), patientId);
  }

  /**
   * The same, with the patient's row locked until `tx` ends and its records version moved on:
   * for changes to what the pain rules read (a program, an alert's status), which run one at a
   * time per patient, and make a write of records decided before them decide again.
   */
  async lockVisible(tx: Tx, caller: Caller, patientId: string): Promise<Patient> {
    return this.orNotFound(await this.patients.findVisible(caller, patientId, tx, true), patientId);
  }

  /**
   * The answer for a patient the caller may not see: 404 whether or not it exists; only the
   * audit row tells a denial from a missing record.
   */
  async notVisible(patientId: string): Promise<never> {
    if (await this.patients.exists(patientId)) throw new PatientNotVisibleException();
    throw notFound('patient');
  }

  private async orNotFound(patient: Patient | null, patientId: string): Promise<Patient> {
    return patient ?? this.notVisible(patientId);
  }
}
