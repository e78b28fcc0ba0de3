import { ClinicalRecordsService } from '@app/clinical';
import { Db, PainReport } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Caller } from '../auth/caller';
import { assertPlausibleInstant } from '../common/clock';
import { ProblemException } from '../common/problem';
import { toFindingDto, toPainReportDto, toProgramStatus } from './pain-report.views';
import { canonicalJson } from '../idempotency/canonical-json';
import { PatientAccessService } from '../patients/patient-access.service';
import type { CreatePainReportDto, PainReportResultDto } from './pain-report.dto';

export interface WriteResult<T> {
  /** True when the clientRef was already stored with the same content: nothing was written. */
  replayed: boolean;
  body: T;
}

export function contentHash(input: object): Buffer {
  return createHash('sha256').update(canonicalJson(input)).digest();
}

@Injectable()
export class PainReportsService {
  constructor(
    private readonly db: Db,
    private readonly access: PatientAccessService,
    private readonly clinical: ClinicalRecordsService,
  ) {}

  async create(
    caller: Caller,
    patientId: string,
    input: CreatePainReportDto,
  ): Promise<WriteResult<PainReportResultDto>> {
    const reportedAt = assertPlausibleInstant('reportedAt', input.reportedAt, new Date());
    const hash = contentHash(input);
    return this.db.transaction(async (m) => {
      const patient = await this.access.lockVisible(m, caller, patientId);
      const existing = await m
        .createQueryBuilder(PainReport, 'r')
        .addSelect('r.requestHash')
        .where('r.organization_id = :org AND r.patient_id = :patient AND r.client_ref = :ref', {
          org: patient.organizationId,
          patient: patient.id,
          ref: input.clientRef,
        })
        .getOne();
      if (existing) {
        if (!existing.requestHash?.equals(hash)) {
          throw new ProblemException(
            409,
            'This clientRef was already used for a different pain report of the patient',
          );
        }
        return { replayed: true, body: await this.render(existing) };
      }
      const [report] = await this.clinical.insertPainReports(
        patient,
        [
          {
            clientRef: input.clientRef,
            requestHash: hash,
            sessionId: null,
            reportedAt,
            intensity: input.intensity,
            mostDistalSite: input.mostDistalSite,
            side: input.side ?? null,
            context: input.context,
            redFlags: input.redFlags ? { ...input.redFlags } : null,
            odi: input.odi ?? null,
          },
        ],
        caller.keyId,
      );
      const { findings, program } = await this.clinical.evaluate(patient, [report]);
      return {
        replayed: false,
        body: {
          ...toPainReportDto(report),
          findings: findings.map(toFindingDto),
          program: toProgramStatus(program),
        },
      };
    });
  }

  private async render(report: PainReport): Promise<PainReportResultDto> {
    const [findings, program] = await Promise.all([
      this.clinical.findingsForReports([report.id]),
      this.clinical.currentProgram(report.organizationId, report.patientId),
    ]);
    return {
      ...toPainReportDto(report),
      findings: findings.map(toFindingDto),
      program: toProgramStatus(program),
    };
  }
}
