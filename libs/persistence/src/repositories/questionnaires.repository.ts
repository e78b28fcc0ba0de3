import type { Instrument, InstrumentScore, StoredAnswers } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { Db, prepared, runPrepared } from '../db.service';
import { Questionnaire } from '../entities';
import { keysetPage, type KeysetPage, type PageRequest } from '../keyset-page';
import { visibleSql, type Viewer } from './patients.repository';

export interface NewQuestionnaire {
  id: string;
  instrument: Instrument;
  completedAt: Date;
  answers: StoredAnswers;
  score: InstrumentScore;
  createdByKeyId: string | null;
}

export interface QuestionnaireWritten {
  questionnaire: Questionnaire;
  /**
   * The patient's first questionnaire of the same instrument completed no later than this one
   * (null: this one is the first), what a later one is compared with.
   */
  first: Questionnaire | null;
}

/** A questionnaires row as to_jsonb spells it. */
interface QuestionnaireJson {
  id: string;
  organization_id: string;
  patient_id: string;
  instrument: Instrument;
  completed_at: string;
  local_date: string;
  answers: Record<string, unknown>;
  score: Record<string, unknown>;
  created_by_key_id: string | null;
  created_at: string;
}

function questionnaireOf(row: QuestionnaireJson): Questionnaire {
  return Object.assign(new Questionnaire(), {
    id: row.id,
    organizationId: row.organization_id,
    patientId: row.patient_id,
    instrument: row.instrument,
    completedAt: new Date(row.completed_at),
    localDate: row.local_date,
    answers: row.answers,
    score: row.score,
    createdByKeyId: row.created_by_key_id,
    createdAt: new Date(row.created_at),
  });
}

/**
 * $1 patient, $2 id, $3 instrument, $4 completed at, $5 answers, $6 score, $7 key; then the
 * viewer's visibility parameters. The first of the instrument is read from the snapshot the
 * statement started with, so it never is the row the statement inserts.
 */
function recordSql(visible: string): string {
  return `
  WITH p AS (
    SELECT p.id, p.organization_id, p.timezone FROM patients p WHERE p.id = $1 ${visible}
  ), written AS (
    INSERT INTO questionnaires (id, organization_id, patient_id, instrument, completed_at, local_date, answers,
                                score, created_by_key_id)
    SELECT $2, p.organization_id, p.id, $3, $4, ($4::timestamptz AT TIME ZONE p.timezone)::date, $5, $6, $7 FROM p
    RETURNING *
  ), first AS (
    SELECT q.* FROM questionnaires q JOIN p ON q.organization_id = p.organization_id AND q.patient_id = p.id
    WHERE q.instrument = $3 AND q.completed_at <= $4
    ORDER BY q.completed_at, q.id LIMIT 1
  )
  SELECT (SELECT to_jsonb(w) FROM written w) AS written, (SELECT to_jsonb(f) FROM first f) AS first`;
}

/** Outcome questionnaires: answers and scores, per patient. */
@Injectable()
export class QuestionnairesRepository {
  constructor(private readonly db: Db) {}

  /** Stores a scored questionnaire in one statement; null when the viewer may not see the patient. */
  async record(
    viewer: Viewer,
    patientId: string,
    q: NewQuestionnaire,
  ): Promise<QuestionnaireWritten | null> {
    const params: unknown[] = [
      patientId,
      q.id,
      q.instrument,
      q.completedAt,
      JSON.stringify(q.answers),
      JSON.stringify(q.score),
      q.createdByKeyId,
    ];
    const sql = recordSql(visibleSql(viewer, params));
    const [row] = await runPrepared<{
      written: QuestionnaireJson | null;
      first: QuestionnaireJson | null;
    }>(this.db.current, prepared(sql), params);
    if (!row?.written) return null;
    return {
      questionnaire: questionnaireOf(row.written),
      first: row.first ? questionnaireOf(row.first) : null,
    };
  }

  /** A patient's questionnaires in the order they were recorded, of one instrument if given. */
  page(
    organizationId: string,
    patientId: string,
    instrument: Instrument | undefined,
    page: PageRequest,
  ): Promise<KeysetPage<Questionnaire>> {
    const qb = this.db.current
      .getRepository(Questionnaire)
      .createQueryBuilder('q')
      .where('q.organization_id = :organizationId AND q.patient_id = :patientId', {
        organizationId,
        patientId,
      });
    if (instrument) qb.andWhere('q.instrument = :instrument', { instrument });
    return keysetPage(qb, page);
  }
}
