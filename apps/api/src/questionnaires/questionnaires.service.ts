import {
  outcomeChange,
  scoreQuestionnaire,
  type InstrumentScore,
  type ScoredQuestionnaire,
  type StoredAnswers,
} from '@app/domain';
import { type Questionnaire, QuestionnairesRepository } from '@app/persistence';
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
    const written = await this.questionnaires.record(caller, patientId, {
      id: randomUUID(),
      instrument: input.instrument,
      completedAt,
      answers: result.score.answers,
      score: result.score.score,
      createdByKeyId: caller.keyId,
    });
    if (!written) return this.access.notVisible(patientId);
    const { questionnaire, first } = written;
    const change = first
      ? outcomeChange(questionnaire.instrument, scored(first), scored(questionnaire))
      : null;
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
    };
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
