import { Db, PainReport, Patient } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Caller } from '../auth/caller';
import { assertPlausibleInstant } from '../common/clock';
import { ProblemException } from '../common/problem';
import {
  FindingsService,
  toFindingDto,
  toPainReportDto,
  toProgramStatus,
} from '../findings/findings.service';
import { canonicalJson } from '../idempotency/canonical-json';
import { PatientAccessService } from '../patients/patient-access.service';
import { ProgramsService } from '../programs/programs.service';
import type { CreatePainReportDto, PainReportResultDto } from './pain-report.dto';

export type NewPainReport = Pick<
  PainReport,
  | 'clientRef'
  | 'requestHash'
  | 'sessionId'
  | 'reportedAt'
  | 'intensity'
  | 'mostDistalSite'
  | 'side'
  | 'context'
  | 'redFlags'
  | 'odi'
>;

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
    private readonly findings: FindingsService,
    private readonly programs: ProgramsService,
  ) {}

  /** Inserts reports with their patient-local day, computed by PostgreSQL from the patient's zone. */
  async insert(
    patient: Patient,
    reports: NewPainReport[],
    createdByKeyId: string,
  ): Promise<PainReport[]> {
    const m = this.db.manager;
    const ids: string[] = [];
    for (const r of reports) {
      const [{ id }] = await m.query<{ id: string }[]>(
        `INSERT INTO pain_reports (organization_id, patient_id, client_ref, request_hash, session_id, reported_at, local_date,
           intensity, most_distal_site, side, context, red_flags, odi, created_by_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, ($6::timestamptz AT TIME ZONE $7)::date, $8, $9, $10, $11, $12, $13, $14)
         RETURNING id`,
        [
          patient.organizationId,
          patient.id,
          r.clientRef,
          r.requestHash,
          r.sessionId,
          r.reportedAt,
          patient.timezone,
          r.intensity,
          r.mostDistalSite,
          r.side,
          r.context,
          r.redFlags ? JSON.stringify(r.redFlags) : null,
          r.odi,
          createdByKeyId,
        ],
      );
      ids.push(id);
    }
    const rows = await m
      .createQueryBuilder(PainReport, 'r')
      .where('r.id = ANY(:ids)', { ids })
      .getMany();
    return ids.map((id) => rows.find((r) => r.id === id)!);
  }

  async create(
    caller: Caller,
    patientId: string,
    input: CreatePainReportDto,
  ): Promise<WriteResult<PainReportResultDto>> {
    const reportedAt = assertPlausibleInstant('reportedAt', input.reportedAt, new Date());
    const hash = contentHash(input);
    return this.db.transaction(async (m) => {
      const patient = await this.access.findVisible(caller, patientId, true);
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
      const [report] = await this.insert(
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
      const { findings, program } = await this.findings.evaluate(patient, [report]);
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
      this.findings.forReports([report.id]),
      this.programs.current(report.organizationId, report.patientId),
    ]);
    return {
      ...toPainReportDto(report),
      findings: findings.map(toFindingDto),
      program: toProgramStatus(program),
    };
  }
}
