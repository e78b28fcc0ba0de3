import {
  type AlertEventBody,
  type AlertSeverity,
  decideAlert,
  CLOCK_SKEW_MS,
  evaluatePainRules,
  type Finding,
  isAlertSeverity,
  type PainContext,
  type PainSide,
  type PainSite,
  type RedFlagAnswers,
  type RuleId,
  ruleSettingsOf,
  worstSeverity,
} from '@app/domain';
import {
  type NewFindingRow,
  type PainReport,
  type ProgramState,
  type OpenAlert,
  type RecordsContext,
  RecordsRepository,
  type RecordsWrite,
  type RuleFinding,
  type SessionAloneResult,
  type SessionLog,
  StaleRecordsContextError,
  Db,
  type Executor,
  type Viewer,
} from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

// Enough history for every rule: the 7-day trend and the 36-hour flare window, with margin.
const HISTORY_DAYS = 40;

/**
 * Where a write of records runs: made by `ClinicalRecordsService.record` only. `lock`: the
 * context is read with the patient's row locked until the transaction ends.
 */
export interface RecordsScope {
  readonly on: Executor;
  readonly lock: boolean;
}

/** A pain report to write: what the app (or an import) said. */
export interface NewPainReport {
  clientRef: string | null;
  requestHash: Buffer | null;
  reportedAt: Date;
  intensity: number;
  mostDistalSite: PainSite;
  side: PainSide | null;
  context: PainContext;
  redFlags: RedFlagAnswers | null;
  odi: number | null;
}

/** A session to write; its pain before and after come as reports with it. */
export interface NewSession {
  clientRef: string;
  requestHash: Buffer;
  performedAt: Date;
  durationMinutes: number | null;
  items: unknown;
}

export interface RecordsInput {
  session: NewSession | null;
  /** Pain reports; with a session, they are its pain before and after. */
  reports: NewPainReport[];
  createdByKeyId: string | null;
  now: Date;
}

/** What a write stored, as the API answers it. */
export interface WrittenRecords {
  session: SessionLog | null;
  reports: PainReport[];
  findings: RuleFinding[];
  program: ProgramState | null;
}

/**
 * Sessions and pain reports with what the rules conclude from them, shared by the API (apps
 * post them) and the worker (FHIR imports carry pain scores). A write is two statements run by
 * `record`: `loadContext` reads what the rules need, `write` stores the records, findings,
 * alerts with their outbox events, and the program hold, decided in between, provided nothing
 * the rules read changed in the meantime (the patient's records version).
 */
@Injectable()
export class ClinicalRecordsService {
  constructor(
    private readonly db: Db,
    private readonly records: RecordsRepository,
  ) {}

  /**
   * Runs `attempt` (a `loadContext`, what the caller decides from it, a `write`) first without
   * a lock: two statements, on the transaction open in the call chain if there is one, else on
   * the pool. If another change to what the rules read landed between its read and its write
   * (nothing was written), once more in a transaction that locks the patient's row from the
   * read on, which nothing can overtake: writes about one patient at once all end up recorded,
   * each decided from what the others stored, and only a patient written to at that very
   * moment pays for the transaction.
   */
  async record<T>(attempt: (scope: RecordsScope) => Promise<T>): Promise<T> {
    try {
      return await attempt({ on: this.db.current, lock: false });
    } catch (err) {
      if (!(err instanceof StaleRecordsContextError)) throw err;
    }
    return this.db.transaction((tx) => attempt({ on: tx, lock: true }));
  }

  /**
   * A session without pain before or after: no rule reads it (they read pain reports), so it
   * is written in one statement, with neither the rules' context nor the records version (see
   * RecordsRepository.writeSessionAlone), on the transaction open in the call chain if any.
   */
  writeSessionAlone(
    viewer: Viewer | null,
    patientId: string,
    session: NewSession,
    createdByKeyId: string | null,
  ): Promise<SessionAloneResult> {
    return this.records.writeSessionAlone(
      this.db.current,
      viewer,
      patientId,
      { ...session, id: randomUUID() },
      createdByKeyId,
    );
  }

  /**
   * What a write about `patientId` needs (null: not visible to the viewer, or no such
   * patient). `reportTimes` are the times of the reports to write: the rules
   * read the history of the days before the earliest. A write without reports (a session
   * without pain) runs no rule and reads no history.
   */
  loadContext(
    scope: RecordsScope,
    viewer: Viewer | null,
    patientId: string,
    refs: { table: 'pain_reports' | 'sessions'; clientRefs: string[] },
    reportTimes: Date[],
    now: Date,
  ): Promise<RecordsContext | null> {
    const earliest = Math.min(now.getTime(), ...reportTimes.map((t) => t.getTime()));
    const latest = Math.max(...reportTimes.map((t) => t.getTime()));
    return this.records.loadContext(
      scope.on,
      viewer,
      patientId,
      refs,
      reportTimes.length > 0 ? new Date(earliest - HISTORY_DAYS * 86_400_000) : null,
      scope.lock,
      reportTimes.length > 0 ? new Date(latest) : null,
    );
  }

  /**
   * Runs the pain rules on the new reports, decides the alerts they raise (clinical-rules §3)
   * and the only program changes the rules may make (pause on PERIPHERALIZATION / NEW_LEG_PAIN,
   * suspend on PERSISTENT_FLARE), and writes it all with the records in one statement.
   */
  async write(
    scope: RecordsScope,
    ctx: RecordsContext,
    input: RecordsInput,
  ): Promise<WrittenRecords> {
    const { patient } = ctx;
    const session = input.session
      ? { ...input.session, id: randomUUID(), programId: ctx.program?.id ?? null }
      : null;
    const reports: PainReport[] = input.reports.map((r) => ({
      ...r,
      id: randomUUID(),
      organizationId: patient.organizationId,
      patientId: patient.id,
      sessionId: session?.id ?? null,
      createdByKeyId: input.createdByKeyId,
      // Stamped by the database; set from its answer below.
      localDate: '',
      createdAt: input.now,
    }));

    const concluded = reports.length
      ? evaluatePainRules(
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
              timezone: patient.timezone,
              odi: ctx.odi,
            },
            newReports: reports,
            history: ctx.history,
          },
          ruleSettingsOf(ctx.settings),
          new Date(input.now.getTime() + CLOCK_SKEW_MS),
        )
      : [];
    const findings: NewFindingRow[] = concluded.map((f) => ({
      id: randomUUID(),
      rule: f.rule,
      severity: f.severity,
      action: f.action,
      programEffect: f.programEffect,
      evidence: { ...f.evidence },
      painReportId: f.reportId,
      sessionId: session?.id ?? null,
    }));
    const alerts = decideAlerts(patient.id, ctx.openAlerts, findings, input.now);
    const hold = holdOf(ctx.program, concluded, reports);

    const write: RecordsWrite = {
      organizationId: patient.organizationId,
      patientId: patient.id,
      timezone: patient.timezone,
      createdByKeyId: input.createdByKeyId,
      now: input.now,
      session,
      reports,
      findings,
      ...alerts,
      hold,
    };
    const written = await this.records.write(scope.on, ctx.version, write);

    for (const report of reports) {
      const stamped = written.reports.get(report.id);
      if (stamped) Object.assign(report, stamped);
    }
    const createdAt = written.findingsCreatedAt ?? input.now;
    return {
      session:
        session && written.session
          ? {
              id: session.id,
              organizationId: patient.organizationId,
              patientId: patient.id,
              programId: session.programId,
              clientRef: session.clientRef,
              requestHash: session.requestHash,
              performedAt: session.performedAt,
              localDate: written.session.localDate,
              durationMinutes: session.durationMinutes,
              items: session.items as SessionLog['items'],
              exerciseCodes: null,
              createdByKeyId: input.createdByKeyId,
              createdAt: written.session.createdAt,
            }
          : null,
      reports,
      findings: findings.map((f) => ({
        ...f,
        questionnaireId: null,
        organizationId: patient.organizationId,
        patientId: patient.id,
        createdAt,
      })),
      program:
        ctx.program && hold
          ? { ...ctx.program, status: hold.status, statusReason: hold.reason }
          : ctx.program,
    };
  }
}

/** What `decideAlerts` decides: alerts to open, open alerts to update, outbox events. */
export type AlertWrites = Pick<RecordsWrite, 'alertsOpened' | 'alertsUpdated' | 'events'>;

/**
 * Turns the warning and urgent findings of one write (of records, or of a questionnaire) into
 * alerts (clinical-rules §3): a rule with no open alert opens one, a worse finding escalates
 * the open one, another attaches to it; an outbox event for each alert opened or escalated.
 * The caller read `openAlerts` under the patient's lock or records version, so one patient's
 * alerts are decided by one write at a time.
 */
export function decideAlerts(
  patientId: string,
  openAlerts: readonly OpenAlert[],
  findings: readonly Pick<NewFindingRow, 'id' | 'rule' | 'severity'>[],
  now: Date,
): AlertWrites {
  const out: AlertWrites = {
    alertsOpened: [],
    alertsUpdated: [],
    events: [],
  };
  const byRule = new Map<RuleId, Pick<NewFindingRow, 'id' | 'rule' | 'severity'>[]>();
  for (const f of findings) {
    if (!isAlertSeverity(f.severity)) continue;
    byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
  }
  for (const [rule, ofRule] of byRule) {
    const severity = worstSeverity(ofRule.map((f) => f.severity as AlertSeverity));
    // The finding named on the alert is the worst one, the newest among equals.
    const finding = [...ofRule].reverse().find((f) => f.severity === severity)!;
    const open = openAlerts.find((a) => a.rule === rule) ?? null;
    const decision = decideAlert(open, { severity });
    let alertId: string;
    switch (decision.kind) {
      case 'open':
        alertId = randomUUID();
        out.alertsOpened.push({
          id: alertId,
          rule,
          severity: decision.severity,
          findingId: finding.id,
          count: ofRule.length,
        });
        break;
      case 'escalate':
      case 'attach':
        alertId = open!.id;
        out.alertsUpdated.push({
          id: alertId,
          findingId: finding.id,
          count: ofRule.length,
          escalateTo: decision.kind === 'escalate' ? severity : null,
        });
        break;
    }
    if (decision.kind === 'attach') continue;
    const event: AlertEventBody = {
      type: decision.kind === 'open' ? 'alert.created' : 'alert.escalated',
      timestamp: now.toISOString(),
      data: { alertId, patientId, rule, severity: decision.severity },
    };
    out.events.push(event);
  }
  return out;
}

/**
 * The hold the rules put the program on, if any. Adherence prescribes nothing while the
 * program is on hold, from the report that called for it: the patient was to stop then, even
 * if the report arrives late.
 */
function holdOf(
  program: ProgramState | null,
  findings: readonly Finding[],
  reports: readonly PainReport[],
): RecordsWrite['hold'] {
  if (!program) return null;
  const suspend = findings.find((f) => f.programEffect === 'suspend');
  const pause = findings.find((f) => f.programEffect === 'pause');
  const from = (reportId: string) => reports.find((r) => r.id === reportId)!.reportedAt;
  if (suspend && (program.status === 'active' || program.status === 'paused')) {
    return {
      programId: program.id,
      status: 'suspended',
      reason: suspend.rule,
      from: from(suspend.reportId),
    };
  }
  if (pause && program.status === 'active') {
    return {
      programId: program.id,
      status: 'paused',
      reason: pause.rule,
      from: from(pause.reportId),
    };
  }
  return null;
}
