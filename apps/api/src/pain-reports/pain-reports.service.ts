import { ClinicalRecordsService } from '@app/records';
import { type PainReport, RecordsRepository } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Caller } from '../auth/caller';
import { assertPlausibleInstant, Clock } from '../common/clock';
import { ProblemException } from '../common/problem';
import { canonicalJson } from '../idempotency/canonical-json';
import { PatientAccessService } from '../patients/patient-access.service';
import type { CreatePainReportDto, PainReportResultDto } from './pain-report.dto';
import { toFindingDto, toPainReportDto, toProgramStatus } from './pain-report.views';

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
    private readonly clock: Clock,
    private readonly access: PatientAccessService,
    private readonly clinical: ClinicalRecordsService,
    private readonly records: RecordsRepository,
  ) {}

  /**
   * Writes a pain report with what the rules conclude: two statements (in the request's
   * transaction when an Idempotency-Key opened one), one that reads what the rules need, one
   * that writes it all if none of that changed meanwhile (see ClinicalRecordsService.record).
   */
  async create(
    caller: Caller,
    patientId: string,
    input: CreatePainReportDto,
  ): Promise<WriteResult<PainReportResultDto>> {
    const now = this.clock.now();
    const reportedAt = assertPlausibleInstant('reportedAt', input.reportedAt, now);
    const hash = contentHash(input);
    return this.clinical.record(async (scope) => {
      const ctx = await this.clinical.loadContext(
        scope,
        caller,
        patientId,
        { table: 'pain_reports', clientRefs: [input.clientRef] },
        [reportedAt],
        now,
      );
      if (!ctx) return this.access.notVisible(patientId);
      const existing = ctx.existing.get(input.clientRef);
      if (existing) {
        if (!existing.requestHash?.equals(hash)) {
          throw new ProblemException(
            409,
            'This clientRef was already used for a different pain report of the patient',
          );
        }
        return { replayed: true, body: await this.render(caller, existing.id, ctx.program) };
      }
      const written = await this.clinical.write(scope, ctx, {
        session: null,
        reports: [
          {
            clientRef: input.clientRef,
            requestHash: hash,
            reportedAt,
            intensity: input.intensity,
            mostDistalSite: input.mostDistalSite,
            side: input.side ?? null,
            context: input.context,
            redFlags: input.redFlags ? { ...input.redFlags } : null,
            odi: input.odi ?? null,
          },
        ],
        createdByKeyId: caller.keyId,
        now,
      });
      return {
        replayed: false,
        body: {
          ...toPainReportDto(written.reports[0]),
          findings: written.findings.map(toFindingDto),
          program: toProgramStatus(written.program),
        },
      };
    });
  }

  private async render(
    caller: Caller,
    reportId: string,
    program: Parameters<typeof toProgramStatus>[0],
  ): Promise<PainReportResultDto> {
    const report: PainReport = await this.records.painReport(caller.organizationId, reportId);
    const findings = await this.records.findingsForReports(caller.organizationId, [report.id]);
    return {
      ...toPainReportDto(report),
      findings: findings.map(toFindingDto),
      program: toProgramStatus(program),
    };
  }
}
