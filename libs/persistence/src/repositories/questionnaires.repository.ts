import type {
  Action,
  Instrument,
  InstrumentScore,
  RuleId,
  Severity,
  StoredAnswers,
} from '@app/domain';
import { activeTraceparent } from '@app/telemetry';
import { Injectable } from '@nestjs/common';
import { Db, prepared, runPrepared, type Tx } from '../db.service';
import { Questionnaire } from '../entities';
import { keysetPage, type KeysetPage, type PageRequest } from '../keyset-page';
import { OUTBOX_CHANNEL } from './outbox.repository';
import {
  alertWritesArgs,
  alertWritesSql,
  type OpenAlert,
  type RecordsWrite,
} from './records.repository';

export interface NewQuestionnaire {
  id: string;
  instrument: Instrument;
  completedAt: Date;
  answers: StoredAnswers;
  score: InstrumentScore;
  createdByKeyId: string | null;
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

/** A finding of an outcome rule, to write with its questionnaire. */
export interface NewOutcomeFindingRow {
  id: string;
  rule: RuleId;
  severity: Severity;
  action: Action;
  evidence: Record<string, unknown>;
}

/** One questionnaire's write: the questionnaire, its findings, and the alert they raise. */
export interface QuestionnaireWrite {
  organizationId: string;
  patientId: string;
  timezone: string;
  questionnaire: NewQuestionnaire;
  findings: NewOutcomeFindingRow[];
  /** The alerts the findings open or join, and their events (`decideAlerts`). */
  alerts: Pick<RecordsWrite, 'alertsOpened' | 'alertsUpdated' | 'events'>;
  now: Date;
}

const FIRST_AND_OPEN_ALERTS = prepared(`
  SELECT (SELECT to_jsonb(f) FROM (
            SELECT q.* FROM questionnaires q
            WHERE q.organization_id = $1 AND q.patient_id = $2 AND q.instrument = $3 AND q.completed_at <= $4
            ORDER BY q.completed_at, q.id LIMIT 1) f) AS first,
         (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', a.id, 'rule', a.rule, 'severity', a.severity)), '[]')
            FROM alerts a WHERE a.organization_id = $1 AND a.patient_id = $2 AND a.status = 'open') AS open_alerts`);

/**
 * The questionnaire, its findings, the alerts opened or updated and their outbox events (with
 * the NOTIFY that wakes the relay at commit), in one statement; $15 on: alertWritesSql.
 */
const WRITE_QUESTIONNAIRE = prepared(`
  WITH written AS (
    INSERT INTO questionnaires (id, organization_id, patient_id, instrument, completed_at, local_date, answers,
                                score, created_by_key_id)
    VALUES ($3, $1, $2, $4, $5, ($5::timestamptz AT TIME ZONE $6)::date, $7, $8, $9)
    RETURNING *
  ), findings_written AS (
    INSERT INTO findings (id, organization_id, patient_id, rule, severity, action, evidence, questionnaire_id)
    SELECT id, $1, $2, rule, severity, action, evidence, $3
    FROM unnest($10::uuid[], $11::text[], $12::text[], $13::text[], $14::jsonb[]) AS t(id, rule, severity, action, evidence)
    RETURNING id
  ), ${alertWritesSql(15, 'true', '$28')}, marked AS (
    INSERT INTO adherence_dirty (organization_id, patient_id) VALUES ($1, $2)
  )
  SELECT (SELECT to_jsonb(w) FROM written w) AS written,
         (SELECT count(*) FROM findings_written) AS findings,
         (SELECT count(*) FROM (SELECT pg_notify($27, '') FROM (SELECT 1 FROM events LIMIT 1) e) n) AS notified`);

/** Outcome questionnaires: answers and scores, per patient, and what the outcome rules found. */
@Injectable()
export class QuestionnairesRepository {
  constructor(private readonly db: Db) {}

  /**
   * The patient's first questionnaire of the instrument completed no later than `completedAt`
   * (null: the new one is the first), and the patient's open alerts. In the transaction that
   * locked the patient, so that nothing else decides an alert of the patient meanwhile.
   */
  async context(
    tx: Tx,
    organizationId: string,
    patientId: string,
    instrument: Instrument,
    completedAt: Date,
  ): Promise<{ first: Questionnaire | null; openAlerts: OpenAlert[] }> {
    const [row] = await runPrepared<{ first: QuestionnaireJson | null; open_alerts: OpenAlert[] }>(
      tx,
      FIRST_AND_OPEN_ALERTS,
      [organizationId, patientId, instrument, completedAt],
    );
    return { first: row.first ? questionnaireOf(row.first) : null, openAlerts: row.open_alerts };
  }

  /** Writes a decided questionnaire (see WRITE_QUESTIONNAIRE); its stored row. */
  async write(tx: Tx, w: QuestionnaireWrite): Promise<Questionnaire> {
    const q = w.questionnaire;
    const [row] = await runPrepared<{ written: QuestionnaireJson }>(tx, WRITE_QUESTIONNAIRE, [
      w.organizationId,
      w.patientId,
      q.id,
      q.instrument,
      q.completedAt,
      w.timezone,
      JSON.stringify(q.answers),
      JSON.stringify(q.score),
      q.createdByKeyId,
      w.findings.map((f) => f.id),
      w.findings.map((f) => f.rule),
      w.findings.map((f) => f.severity),
      w.findings.map((f) => f.action),
      w.findings.map((f) => JSON.stringify(f.evidence)),
      ...alertWritesArgs(w.now, w.alerts),
      OUTBOX_CHANNEL,
      activeTraceparent(),
    ]);
    return questionnaireOf(row.written);
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
