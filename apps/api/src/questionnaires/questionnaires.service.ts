import {
  outcomeChange,
  outcomeFindings,
  type InstrumentScore,
  type ScoredQuestionnaire,
  scoreQuestionnaire,
  type StoredAnswers,
} from '@app/domain';
import { Db, type Questionnaire, QuestionnairesRepository } from '@app/persistence';
import { decideAlerts } from '@app/records';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Caller } from '../auth/caller';
import { assertPlausibleInstant, Clock } from '../common/clock';
import { pageRequest, type Page } from '../common/pagination';
import { validationProblem } from '../common/problem';
import { findingView } from '../pain-reports/pain-report.views';
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
      const findings = (
        first && change
          ? outcomeFindings(input.instrument, change, {
              firstId: first.id,
              firstCompletedAt: first.completedAt.toISOString(),
              first: scored(first),
              now: scoredNow,
            })
          : []
      ).map((f) => ({ ...f, id: randomUUID(), evidence: { ...f.evidence } }));
      const now = this.clock.now();
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
        alerts: decideAlerts(patient.id, openAlerts, findings, now),
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
                meaningful: [...change.meaningful],
              }
            : null,
        findings: findings.map(findingView),
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
