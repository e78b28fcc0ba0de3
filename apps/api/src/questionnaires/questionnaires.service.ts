import {
  type AlertEventBody,
  decideAlert,
  findingMessage,
  isAlertSeverity,
  outcomeChange,
  outcomeFindings,
  type InstrumentScore,
  type RuleId,
  type ScoredQuestionnaire,
  scoreQuestionnaire,
  type Severity,
  type StoredAnswers,
} from '@app/domain';
import {
  Db,
  type OpenAlert,
  type Questionnaire,
  type QuestionnaireWrite,
  QuestionnairesRepository,
} from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Caller } from '../auth/caller';
import { assertPlausibleInstant, Clock } from '../common/clock';
import { pageRequest, type Page } from '../common/pagination';
import { validationProblem } from '../common/problem';
import { PatientAccessService } from '../patients/patient-access.service';
import type {
  CreateQuestionnaireDto,
  QuestionnaireDto,
  QuestionnaireQueryDto,
  QuestionnaireResultDto,
} from './questionnaire.dto';

function toDto(q: Questionnaire): QuestionnaireDto {
  return {
    id: q.id,
    patientId: q.patientId,
    instrument: q.instrument,
    completedAt: q.completedAt,
    localDate: q.localDate,
    answers: q.answers,
    score: q.score,
    createdAt: q.createdAt,
  };
}

const scored = (q: Questionnaire): ScoredQuestionnaire => ({
  answers: q.answers as StoredAnswers,
  score: q.score as InstrumentScore,
});

/** Outcome questionnaires: scored when recorded, compared with the patient's first. */
@Injectable()
export class QuestionnairesService {
  constructor(
    private readonly clock: Clock,
    private readonly db: Db,
    private readonly access: PatientAccessService,
    private readonly questionnaires: QuestionnairesRepository,
  ) {}

  async create(
    caller: Caller,
    patientId: string,
    input: CreateQuestionnaireDto,
  ): Promise<QuestionnaireResultDto> {
    const completedAt = assertPlausibleInstant('completedAt', input.completedAt, this.clock.now());
    const result = scoreQuestionnaire(input.instrument, input.answers);
    if (!result.ok) {
      throw validationProblem(
        result.problems.map((p) => ({ field: p.item, message: p.message })),
        `The ${input.instrument} answers are not valid: ${result.problems
          .map((p) => `${p.item} ${p.message}`)
          .join('; ')}`,
      );
    }
    const scoredNow = result.score;
    return this.db.transaction(async (tx) => {
      // The patient locked (and its records version moved on): one write at a time decides
      // the patient's alerts, a questionnaire's as a pain report's.
      const patient = await this.access.lockVisible(tx, caller, patientId);
      const { first, openAlerts } = await this.questionnaires.context(
        tx,
        patient.organizationId,
        patient.id,
        input.instrument,
        completedAt,
      );
      const change = first ? outcomeChange(input.instrument, scored(first), scoredNow) : null;
      const headline = (q: ScoredQuestionnaire) =>
        'mean' in q.score ? q.score.mean : 'answered' in q.score ? q.score.score : q.score.total;
      const concluded =
        first && change
          ? outcomeFindings(input.instrument, change, {
              firstId: first.id,
              firstCompletedAt: first.completedAt.toISOString(),
              first: headline(scored(first)),
              now: headline(scoredNow),
            })
          : [];
      const findings = concluded.map((f) => ({
        ...f,
        id: randomUUID(),
        evidence: { ...f.evidence },
      }));
      const now = this.clock.now();
      const { alert, event } = decideQuestionnaireAlert(patient.id, openAlerts, findings, now);
      const questionnaire = await this.questionnaires.write(tx, {
        organizationId: patient.organizationId,
        patientId: patient.id,
        timezone: patient.timezone,
        questionnaire: {
          id: randomUUID(),
          instrument: input.instrument,
          completedAt,
          answers: scoredNow.answers,
          score: scoredNow.score,
          createdByKeyId: caller.keyId,
        },
        findings,
        alert,
        event,
        now,
      });
      return {
        ...toDto(questionnaire),
        change:
          first && change
            ? {
                firstId: first.id,
                firstCompletedAt: first.completedAt,
                difference: change.difference,
                meaningful: change.meaningful.map((m) => ({ ...m })),
              }
            : null,
        findings: findings.map((f) => ({
          id: f.id,
          rule: f.rule,
          severity: f.severity,
          action: f.action,
          message: findingMessage(f),
          evidence: f.evidence,
        })),
      };
    });
  }

  async list(
    caller: Caller,
    patientId: string,
    query: QuestionnaireQueryDto,
  ): Promise<Page<QuestionnaireDto>> {
    const patient = await this.access.findVisible(caller, patientId);
    const page = await this.questionnaires.page(
      patient.organizationId,
      patient.id,
      query.instrument,
      pageRequest(query),
    );
    return { data: page.data.map(toDto), nextCursor: page.nextCursor };
  }
}

/**
 * The alert a questionnaire's findings raise (clinical-rules §3, as for pain reports): a
 * warning with no open alert of its rule opens one, a worse one escalates it, another attaches
 * to it; an outbox event when one is opened or escalated. Only DISABILITY_WORSENED is a warning.
 */
function decideQuestionnaireAlert(
  patientId: string,
  openAlerts: readonly OpenAlert[],
  findings: readonly { id: string; rule: RuleId; severity: Severity }[],
  now: Date,
): Pick<QuestionnaireWrite, 'alert' | 'event'> {
  const finding = findings.find((f) => isAlertSeverity(f.severity));
  if (!finding || !isAlertSeverity(finding.severity)) return { alert: null, event: null };
  const open = openAlerts.find((a) => a.rule === finding.rule) ?? null;
  const decision = decideAlert(open, { severity: finding.severity });
  const alertId = open?.id ?? randomUUID();
  const alert: QuestionnaireWrite['alert'] =
    decision.kind === 'open'
      ? {
          kind: 'open',
          id: alertId,
          rule: finding.rule,
          severity: decision.severity,
          findingId: finding.id,
        }
      : {
          kind: 'attach',
          id: alertId,
          findingId: finding.id,
          escalateTo: decision.kind === 'escalate' ? decision.severity : null,
        };
  const event: AlertEventBody | null =
    decision.kind === 'attach'
      ? null
      : {
          type: decision.kind === 'open' ? 'alert.created' : 'alert.escalated',
          timestamp: now.toISOString(),
          data: { alertId, patientId, rule: finding.rule, severity: decision.severity },
        };
  return { alert, event };
}
