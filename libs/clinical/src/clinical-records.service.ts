import { evaluatePainRules, Finding } from '@app/domain';
import { Db, PainReport, Patient, Program, RuleFinding } from '@app/persistence';
import { markAdherenceDirty } from './adherence/adherence-dirty';
import { holdProgram, type HoldStatus } from './adherence/program-holds';
import { raiseAlerts } from './alerts/raise-alerts';
import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { RuleSettingsService } from './rule-settings.service';

// Enough history for every rule: the 7-day trend and the 36-hour flare window, with margin.
const HISTORY_DAYS = 40;
/** How far ahead of the server clock a device may be before its times are refused. */
export const CLOCK_SKEW_MS = 5 * 60_000;

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

export interface Evaluation {
  findings: RuleFinding[];
  program: Program | null;
}

/**
 * Pain reports and what the rules conclude from them, shared by the API (apps post reports)
 * and the worker (FHIR imports carry pain scores). Call inside the transaction that writes the
 * reports, with the patient's row locked, so that one patient's history is evaluated by one
 * write at a time.
 */
@Injectable()
export class ClinicalRecordsService {
  constructor(
    private readonly db: Db,
    private readonly settings: RuleSettingsService,
  ) {}

  /** The patient's current (not superseded) program, whatever its status. */
  currentProgram(organizationId: string, patientId: string): Promise<Program | null> {
    return this.db.repo(Program).findOneBy({ organizationId, patientId, supersededAt: IsNull() });
  }

  /** Inserts reports with their patient-local day, computed by PostgreSQL from the patient's zone. */
  async insertPainReports(
    patient: Patient,
    reports: NewPainReport[],
    createdByKeyId: string | null,
  ): Promise<PainReport[]> {
    const m = this.db.manager;
    const ids: string[] = [];
    if (reports.length > 0) await markAdherenceDirty(m, patient.organizationId, patient.id);
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
    if (ids.length === 0) return [];
    const rows = await m
      .createQueryBuilder(PainReport, 'r')
      .where('r.id = ANY(:ids)', { ids })
      .getMany();
    return ids.map((id) => rows.find((r) => r.id === id)!);
  }

  /**
   * Runs the pain rules on reports just written, stores the findings, raises the clinician
   * alerts they call for (with their outbox events), and applies the only program changes the
   * rules may make: pause on PERIPHERALIZATION / NEW_LEG_PAIN, suspend on PERSISTENT_FLARE.
   */
  async evaluate(patient: Patient, newReports: PainReport[]): Promise<Evaluation> {
    const m = this.db.manager;
    const earliest = Math.min(...newReports.map((r) => r.reportedAt.getTime()));
    const since = new Date(earliest - HISTORY_DAYS * 86_400_000);
    // Recent history, plus the first at-rest report (the baseline when none was recorded).
    const history = await m
      .createQueryBuilder(PainReport, 'r')
      .where('r.organization_id = :org AND r.patient_id = :patient', {
        org: patient.organizationId,
        patient: patient.id,
      })
      .andWhere(
        `(r.reported_at > :since OR r.id = (
           SELECT b.id FROM pain_reports b
           WHERE b.organization_id = :org AND b.patient_id = :patient AND b.context = 'baseline'
           ORDER BY b.reported_at ASC LIMIT 1))`,
        { since },
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
      await this.settings.forOrganization(patient.organizationId),
      new Date(Date.now() + CLOCK_SKEW_MS),
    );

    const sessionOf = new Map(newReports.map((r) => [r.id, r.sessionId]));
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
              sessionId: sessionOf.get(f.reportId) ?? null,
            }),
          ),
        )
      : [];
    await raiseAlerts(m, findings, new Date());
    const reportedAt = new Map(newReports.map((r) => [r.id, r.reportedAt]));
    return {
      findings,
      program: await this.applyProgramEffects(patient, concluded, reportedAt),
    };
  }

  /** Findings already stored for these reports, to answer a replayed write. */
  findingsForReports(reportIds: string[]): Promise<RuleFinding[]> {
    if (reportIds.length === 0) return Promise.resolve([]);
    return this.db
      .repo(RuleFinding)
      .createQueryBuilder('f')
      .where('f.pain_report_id = ANY(:ids)', { ids: reportIds })
      .orderBy('f.created_at', 'ASC')
      .addOrderBy('f.id', 'ASC')
      .getMany();
  }

  private async applyProgramEffects(
    patient: Patient,
    findings: Finding[],
    reportedAt: ReadonlyMap<string, Date>,
  ): Promise<Program | null> {
    const program = await this.currentProgram(patient.organizationId, patient.id);
    if (!program) return null;
    const suspend = findings.find((f) => f.programEffect === 'suspend');
    const pause = findings.find((f) => f.programEffect === 'pause');
    let next: { status: HoldStatus; reason: string; reportId: string } | null = null;
    if (suspend && (program.status === 'active' || program.status === 'paused')) {
      next = { status: 'suspended', reason: suspend.rule, reportId: suspend.reportId };
    } else if (pause && program.status === 'active') {
      next = { status: 'paused', reason: pause.rule, reportId: pause.reportId };
    }
    if (!next) return program;
    await this.db.manager.update(
      Program,
      { id: program.id },
      { status: next.status, statusReason: next.reason, statusChangedAt: () => 'now()' },
    );
    // Adherence prescribes nothing while the program is on hold (see program-holds.ts), from
    // the report that called for it: the patient was to stop then, even if it arrives late.
    await holdProgram(
      this.db.manager,
      program,
      next.status,
      next.reason,
      reportedAt.get(next.reportId) ?? new Date(),
    );
    return { ...program, status: next.status, statusReason: next.reason };
  }
}
