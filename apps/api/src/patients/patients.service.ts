import { ClientApp, Clinician, Db, Enrollment, Patient } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import type { Caller } from '../auth/caller';
import { paginate, type Page, type PageQueryDto } from '../common/pagination';
import { ProblemException, validationProblem } from '../common/problem';
import type {
  CreateEnrollmentDto,
  CreatePatientDto,
  EnrollmentDto,
  PatientDto,
  UpdatePatientDto,
} from './patient.dto';
import { PatientAccessService } from './patient-access.service';

export function toPatientDto(p: Patient): PatientDto {
  return {
    id: p.id,
    externalRef: p.externalRef,
    timezone: p.timezone,
    clinicianId: p.clinicianId,
    symptomOnsetDate: p.symptomOnsetDate,
    condition: p.condition,
    baselinePain:
      p.baselinePainIntensity !== null && p.baselinePainSite !== null
        ? {
            intensity: p.baselinePainIntensity,
            mostDistalSite: p.baselinePainSite,
            ...(p.baselinePainSide ? { side: p.baselinePainSide } : {}),
          }
        : null,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

const toEnrollmentDto = (e: Enrollment): EnrollmentDto => ({
  patientId: e.patientId,
  clientAppId: e.clientAppId,
  consentedAt: e.consentedAt,
  revokedAt: e.revokedAt,
});

@Injectable()
export class PatientsService {
  constructor(
    private readonly db: Db,
    private readonly access: PatientAccessService,
  ) {}

  private get patients(): Repository<Patient> {
    return this.db.repo(Patient);
  }

  private get clinicians(): Repository<Clinician> {
    return this.db.repo(Clinician);
  }

  private get apps(): Repository<ClientApp> {
    return this.db.repo(ClientApp);
  }

  private get enrollments(): Repository<Enrollment> {
    return this.db.repo(Enrollment);
  }

  async create(caller: Caller, input: CreatePatientDto): Promise<PatientDto> {
    await this.assertClinician(caller, input.clinicianId);
    const taken = await this.patients.existsBy({
      organizationId: caller.organizationId,
      externalRef: input.externalRef,
    });
    if (taken)
      throw new ProblemException(
        409,
        'A patient with this externalRef already exists in the organization',
      );
    const saved = await this.patients.save(
      this.patients.create({
        organizationId: caller.organizationId,
        externalRef: input.externalRef,
        timezone: input.timezone,
        clinicianId: input.clinicianId,
        symptomOnsetDate: input.symptomOnsetDate ?? null,
        condition: input.condition ?? 'lumbar_disc_herniation',
        baselinePainIntensity: input.baselinePain?.intensity ?? null,
        baselinePainSite: input.baselinePain?.mostDistalSite ?? null,
        baselinePainSide: input.baselinePain?.side ?? null,
      }),
    );
    return toPatientDto(saved);
  }

  async list(caller: Caller, page: PageQueryDto): Promise<Page<PatientDto>> {
    const result = await paginate(
      this.access.restrict(this.patients.createQueryBuilder('p'), caller),
      page,
    );
    return { data: result.data.map(toPatientDto), nextCursor: result.nextCursor };
  }

  async get(caller: Caller, patientId: string): Promise<PatientDto> {
    return toPatientDto(await this.access.findVisible(caller, patientId));
  }

  async update(caller: Caller, patientId: string, input: UpdatePatientDto): Promise<PatientDto> {
    const patient = await this.access.findVisible(caller, patientId);
    if (input.clinicianId) await this.assertClinician(caller, input.clinicianId);
    if (input.timezone) patient.timezone = input.timezone;
    if (input.clinicianId) patient.clinicianId = input.clinicianId;
    if (input.symptomOnsetDate) patient.symptomOnsetDate = input.symptomOnsetDate;
    if (input.baselinePain) {
      patient.baselinePainIntensity = input.baselinePain.intensity;
      patient.baselinePainSite = input.baselinePain.mostDistalSite;
      patient.baselinePainSide = input.baselinePain.side ?? null;
    }
    return toPatientDto(await this.patients.save(patient));
  }

  async enroll(
    caller: Caller,
    patientId: string,
    input: CreateEnrollmentDto,
  ): Promise<EnrollmentDto> {
    const patient = await this.access.findVisible(caller, patientId);
    const appExists = await this.apps.existsBy({
      id: input.clientAppId,
      organizationId: caller.organizationId,
    });
    if (!appExists)
      throw validationProblem([
        { field: 'clientAppId', message: 'names no client app of this organization' },
      ]);
    // Consent given again after a withdrawal re-opens the same enrollment; repeating an active
    // one keeps its original consent time.
    const [row] = await this.enrollments.query<
      { patient_id: string; client_app_id: string; consented_at: Date; revoked_at: Date | null }[]
    >(
      `INSERT INTO enrollments (organization_id, patient_id, client_app_id) VALUES ($1, $2, $3)
       ON CONFLICT (organization_id, patient_id, client_app_id) DO UPDATE
         SET consented_at = CASE WHEN enrollments.revoked_at IS NULL THEN enrollments.consented_at ELSE now() END,
             revoked_at = NULL
       RETURNING patient_id, client_app_id, consented_at, revoked_at`,
      [caller.organizationId, patient.id, input.clientAppId],
    );
    return {
      patientId: row.patient_id,
      clientAppId: row.client_app_id,
      consentedAt: row.consented_at,
      revokedAt: row.revoked_at,
    };
  }

  async listEnrollments(caller: Caller, patientId: string): Promise<{ data: EnrollmentDto[] }> {
    const patient = await this.access.findVisible(caller, patientId);
    const rows = await this.enrollments.find({
      where: { organizationId: caller.organizationId, patientId: patient.id },
      order: { consentedAt: 'ASC' },
    });
    return { data: rows.map(toEnrollmentDto) };
  }

  async revokeEnrollment(caller: Caller, patientId: string, clientAppId: string): Promise<void> {
    const patient = await this.access.findVisible(caller, patientId);
    const result = await this.enrollments
      .createQueryBuilder()
      .update(Enrollment)
      .set({ revokedAt: () => 'COALESCE(revoked_at, now())' })
      .where(
        'organization_id = :org AND patient_id = :patientId AND client_app_id = :clientAppId',
        {
          org: caller.organizationId,
          patientId: patient.id,
          clientAppId,
        },
      )
      .execute();
    if (!result.affected)
      throw new ProblemException(404, 'The patient has no enrollment for this client app');
  }

  private async assertClinician(caller: Caller, clinicianId: string): Promise<void> {
    const exists = await this.clinicians.existsBy({
      id: clinicianId,
      organizationId: caller.organizationId,
    });
    if (!exists)
      throw validationProblem([
        { field: 'clinicianId', message: 'names no clinician of this organization' },
      ]);
  }
}
