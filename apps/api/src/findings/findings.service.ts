import { evaluatePainRules, Finding, findingMessage } from '@app/domain';
import { Db, PainReport, Patient, Program, RuleFinding } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { CLOCK_SKEW_MS } from '../common/clock';
import { OrganizationSettingsService } from '../organizations/organization-settings.service';
import type { FindingDto, PainReportDto, ProgramStatusDto } from '../pain-reports/pain-report.dto';
import { ProgramsService } from '../programs/programs.service';

// Enough history for every rule: the 7-day trend and the 36-hour flare window, with margin.
const HISTORY_DAYS = 40;

export function toFindingDto(f: RuleFinding): FindingDto {
  return {
    id: f.id,
    rule: f.rule,
    severity: f.severity,
    action: f.action,
    message: findingMessage(f),
    evidence: f.evidence,
    painReportId: f.painReportId,
  };
}

export function toPainReportDto(r: PainReport): PainReportDto {
  return {
    id: r.id,
    clientRef: r.clientRef,
    sessionId: r.sessionId,
    reportedAt: r.reportedAt,
    localDate: r.localDate,
    intensity: r.intensity,
    mostDistalSite: r.mostDistalSite,
    side: r.side,
    context: r.context,
    redFlags: r.redFlags,
    odi: r.odi,
    createdAt: r.createdAt,
  };
}

export function toProgramStatus(p: Program | null): ProgramStatusDto | null {
  return p ? { id: p.id, status: p.status, statusReason: p.statusReason } : null;
}

/**
 * Runs the pain rules on reports just written, stores the findings, and applies the only
 * program changes the rules may make: pause on PERIPHERALIZATION / NEW_LEG_PAIN, suspend on
 * PERSISTENT_FLARE. Call inside the transaction that wrote the reports, with the patient locked.
 */
@Injectable()
export class FindingsService {
  constructor(
    private readonly db: Db,
    private readonly settings: OrganizationSettingsService,
    private readonly programs: ProgramsService,
  ) {}

  async evaluate(
    patient: Patient,
    newReports: PainReport[],
  ): Promise<{ findings: RuleFinding[]; program: Program | null }> {
    const m = this.db.manager;
    const earliest = Math.min(...newReports.map((r) => r.reportedAt.getTime()));
    const history = await m
      .createQueryBuilder(PainReport, 'r')
      .where('r.organization_id = :org AND r.patient_id = :patient', {
        org: patient.organizationId,
        patient: patient.id,
      })
      .andWhere(
        `(r.reported_at > :since OR r.id = (
           SELECT b.id FROM pain_reports b
           WHERE b.organization_id = :org AND b.patient_id = :patient AND b.context = 'baseline' AND b.reported_at < :since
           ORDER BY b.reported_at DESC LIMIT 1))`,
        { since: new Date(earliest - HISTORY_DAYS * 86_400_000) },
      )
      .getMany();

    const concluded = evaluatePainRules(
      {
        patient: {
          baselinePain:
            patient.baselinePainIntensity !== null && patient.baselinePainSite !== null
              ? {
                  intensity: patient.baselinePainIntensity,
                  mostDistalSite: patient.baselinePainSite,
                  side: patient.baselinePainSide,
                }
              : null,
          symptomOnsetDate: patient.symptomOnsetDate,
        },
        newReports,
        history,
      },
      await this.settings.ruleSettings(patient.organizationId),
      new Date(Date.now() + CLOCK_SKEW_MS),
    );

    const bySessionOf = new Map(newReports.map((r) => [r.id, r.sessionId]));
    const findings = concluded.length
      ? await m.save(
          concluded.map((f) =>
            m.create(RuleFinding, {
              organizationId: patient.organizationId,
              patientId: patient.id,
              rule: f.rule,
              severity: f.severity,
              action: f.action,
              programEffect: f.programEffect,
              evidence: { ...f.evidence },
              painReportId: f.reportId,
              sessionId: bySessionOf.get(f.reportId) ?? null,
            }),
          ),
        )
      : [];
    return { findings, program: await this.applyProgramEffects(patient, concluded) };
  }

  private async applyProgramEffects(
    patient: Patient,
    findings: Finding[],
  ): Promise<Program | null> {
    const program = await this.programs.current(patient.organizationId, patient.id);
    if (!program) return null;
    const suspend = findings.find((f) => f.programEffect === 'suspend');
    const pause = findings.find((f) => f.programEffect === 'pause');
    let next: { status: Program['status']; reason: string } | null = null;
    if (suspend && (program.status === 'active' || program.status === 'paused')) {
      next = { status: 'suspended', reason: suspend.rule };
    } else if (pause && program.status === 'active') {
      next = { status: 'paused', reason: pause.rule };
    }
    if (!next) return program;
    await this.db.manager.update(
      Program,
      { id: program.id },
      { status: next.status, statusReason: next.reason, statusChangedAt: () => 'now()' },
    );
    return { ...program, status: next.status, statusReason: next.reason };
  }

  /** Findings already stored for these reports, to answer a replayed write. */
  forReports(reportIds: string[]): Promise<RuleFinding[]> {
    if (reportIds.length === 0) return Promise.resolve([]);
    return this.db
      .repo(RuleFinding)
      .createQueryBuilder('f')
      .where('f.pain_report_id = ANY(:ids)', { ids: reportIds })
      .orderBy('f.created_at', 'ASC')
      .addOrderBy('f.id', 'ASC')
      .getMany();
  }
}
