import { Enrollment, OrganizationsRepository, Patient, PatientsRepository } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { pageRequest, type Page, type PageQueryDto } from '../common/pagination';
import { ProblemException, validationProblem } from '../common/problem';
import type {
  CreateEnrollmentDto,
  CreatePatientDto,
  EnrollmentDto,
  PatientDetailDto,
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
    private readonly patients: PatientsRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly access: PatientAccessService,
  ) {}

  async create(caller: Caller, input: CreatePatientDto): Promise<PatientDto> {
    await this.assertClinician(caller, input.clinicianId);
    if (await this.patients.externalRefTaken(caller.organizationId, input.externalRef)) {
      throw new ProblemException(
        409,
        'A patient with this externalRef already exists in the organization',
      );
    }
    const saved = await this.patients.insert({
      organizationId: caller.organizationId,
      externalRef: input.externalRef,
      timezone: input.timezone,
      clinicianId: input.clinicianId,
      symptomOnsetDate: input.symptomOnsetDate ?? null,
      condition: input.condition ?? 'lumbar_disc_herniation',
      baselinePainIntensity: input.baselinePain?.intensity ?? null,
      baselinePainSite: input.baselinePain?.mostDistalSite ?? null,
      baselinePainSide: input.baselinePain?.side ?? null,
    });
    return toPatientDto(saved);
  }

  async list(caller: Caller, page: PageQueryDto): Promise<Page<PatientDto>> {
    const result = await this.patients.visiblePage(caller, pageRequest(page));
    return { data: result.data.map(toPatientDto), nextCursor: result.nextCursor };
  }

  async get(caller: Caller, patientId: string): Promise<PatientDetailDto> {
    const found = await this.patients.findVisibleWithStratum(caller, patientId);
    if (!found) return this.access.notVisible(patientId);
    const sb = found.startBack;
    return {
      ...toPatientDto(found.patient),
      startBack: sb ? { ...sb, completedAt: new Date(sb.completedAt) } : null,
    };
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
    if (!(await this.organizations.hasClientApp(caller.organizationId, input.clientAppId))) {
      throw validationProblem([
        { field: 'clientAppId', message: 'names no client app of this organization' },
      ]);
    }
    return this.patients.enroll(caller.organizationId, patient.id, input.clientAppId);
  }

  async listEnrollments(caller: Caller, patientId: string): Promise<{ data: EnrollmentDto[] }> {
    const patient = await this.access.findVisible(caller, patientId);
    const rows = await this.patients.enrollments(caller.organizationId, patient.id);
    return { data: rows.map(toEnrollmentDto) };
  }

  async revokeEnrollment(caller: Caller, patientId: string, clientAppId: string): Promise<void> {
    const patient = await this.access.findVisible(caller, patientId);
    if (!(await this.patients.revokeEnrollment(caller.organizationId, patient.id, clientAppId))) {
      throw new ProblemException(404, 'The patient has no enrollment for this client app');
    }
  }

  private async assertClinician(caller: Caller, clinicianId: string): Promise<void> {
    if (!(await this.organizations.hasClinician(caller.organizationId, clinicianId))) {
      throw validationProblem([
        { field: 'clinicianId', message: 'names no clinician of this organization' },
      ]);
    }
  }
}
