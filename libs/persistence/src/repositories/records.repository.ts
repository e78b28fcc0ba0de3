import type {
  AlertEventBody,
  AlertSeverity,
  PainContext,
  PainObservation,
  PainSide,
  PainSite,
  RuleId,
} from '@app/domain';
import { activeTraceparent } from '@app/telemetry';
import { Injectable } from '@nestjs/common';
import { Db, type Executor, prepared, runPrepared } from '../db.service';
import { PainReport, type ProgramStatus, RuleFinding, SessionLog } from '../entities';
import { OUTBOX_CHANNEL } from './outbox.repository';
import { visibleSql, type Viewer } from './patients.repository';

/** What the rules read of a patient. */
export interface RecordsPatient {
  id: string;
  organizationId: string;
  timezone: string;
  symptomOnsetDate: string | null;
  baselinePainIntensity: number | null;
  baselinePainSite: PainSite | null;
  baselinePainSide: PainSide | null;
}

export interface ProgramState {
  id: string;
  organizationId: string;
  status: ProgramStatus;
  statusReason: string | null;
}

export interface OpenAlert {
  id: string;
  rule: RuleId;
  severity: AlertSeverity;
}

export interface StoredRef {
  id: string;
  requestHash: Buffer | null;
}

/**
 * Everything a write of records reads, in one statement: the patient, its organization's
 * settings, its current program, the records already stored under the write's clientRefs, the
 * pain history the rules need, and its open alerts; with the patient's records version, which
 * the write checks (see WRITE_RECORDS): nothing is locked between the two statements.
 */
export interface RecordsContext {
  patient: RecordsPatient;
  /** `patients.records_version` when this was read. */
  version: string;
  settings: Record<string, unknown>;
  program: ProgramState | null;
  existing: Map<string, StoredRef>;
  /** What the rules read of each earlier report. */
  history: PainObservation[];
  /** The first and latest ODI questionnaires; null without any, or without a known onset. */
  odi: { first: number; latest: number } | null;
  openAlerts: OpenAlert[];
}

export interface NewSessionRow {
  id: string;
  programId: string | null;
  clientRef: string;
  requestHash: Buffer;
  performedAt: Date;
  durationMinutes: number | null;
  items: unknown;
}

export type NewPainReportRow = Pick<
  PainReport,
  | 'id'
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

export type NewFindingRow = Pick<
  RuleFinding,
  'id' | 'rule' | 'severity' | 'action' | 'programEffect' | 'evidence' | 'sessionId'
> & {
  /** A records write's findings come from its pain reports. */
  painReportId: string;
};

/** Everything one write of records stores, decided beforehand by the rules. */
export interface RecordsWrite {
  organizationId: string;
  patientId: string;
  timezone: string;
  createdByKeyId: string | null;
  now: Date;
  session: NewSessionRow | null;
  reports: NewPainReportRow[];
  findings: NewFindingRow[];
  alertsOpened: {
    id: string;
    rule: RuleId;
    severity: AlertSeverity;
    findingId: string;
    count: number;
  }[];
  alertsUpdated: {
    id: string;
    findingId: string;
    count: number;
    escalateTo: AlertSeverity | null;
  }[];
  events: AlertEventBody[];
  /** The program paused or suspended by the rules, from the report that called for it. */
  hold: { programId: string; status: 'paused' | 'suspended'; reason: string; from: Date } | null;
}

/**
 * A write whose context is out of date: another change to what the rules read about the
 * patient (a write of records, a program or alert change, the patient's baseline) was committed
 * after the context was read. Nothing was written; read the context again and decide again.
 */
export class StaleRecordsContextError extends Error {
  constructor() {
    super('the records context changed before the write');
    this.name = 'StaleRecordsContextError';
  }
}

/** What the database stamped on the rows it wrote. */
export interface RecordsWritten {
  session: { localDate: string; createdAt: Date } | null;
  reports: Map<string, { localDate: string; createdAt: Date }>;
  findingsCreatedAt: Date | null;
}

/**
 * $1 patient, $2 client refs, $3 history since (null: none), $4 the ODI's as-of time (null:
 * none read); the table of the client refs is
 * the write's.
 */
function loadContextSql(refTable: 'pain_reports' | 'sessions', visible: string): string {
  return `
  WITH p AS (
    SELECT p.id, p.organization_id, p.timezone, p.symptom_onset_date::text AS symptom_onset_date,
           p.baseline_pain_intensity, p.baseline_pain_site, p.baseline_pain_side, p.records_version
    FROM patients p WHERE p.id = $1 ${visible}
  )
  SELECT to_jsonb(p) - 'records_version' AS patient, p.records_version::text AS version,
    (SELECT o.settings FROM organizations o WHERE o.id = p.organization_id) AS settings,
    (SELECT jsonb_build_object('id', pr.id, 'status', pr.status, 'statusReason', pr.status_reason)
       FROM programs pr
      WHERE pr.organization_id = p.organization_id AND pr.patient_id = p.id AND pr.superseded_at IS NULL) AS program,
    (SELECT COALESCE(jsonb_agg(jsonb_build_object('clientRef', r.client_ref, 'id', r.id,
                                                  'requestHash', encode(r.request_hash, 'hex'))), '[]')
       FROM ${refTable} r
      WHERE r.organization_id = p.organization_id AND r.patient_id = p.id AND r.client_ref = ANY($2)) AS existing,
    -- Recent history, plus the first at-rest report (the baseline when none was recorded) and
    -- the last report before it (the previous report of its first one).
    -- Only what the rules read of the earlier reports (their red flags are not: those rules
    -- look at the new report alone), a line of comma-separated fields each: the history is
    -- most of what this statement sends, and building it as JSON took twice as long (its
    -- timestamps above all). Every field is a uuid, a number or one of the columns' own words,
    -- none with a comma or a newline; an empty field is null.
    (SELECT COALESCE(string_agg(concat_ws(',', h.id, floor(extract(epoch FROM h.reported_at) * 1000)::bigint,
                                          h.intensity, h.most_distal_site, COALESCE(h.side, ''), h.context,
                                          COALESCE(h.session_id::text, '')),
                                E'\n' ORDER BY h.reported_at, h.id), '')
       FROM (
         -- Index ranges, not one OR that would read every report the patient ever sent (a report
         -- in two of them is one: the rules key the history by id).
         (SELECT h.* FROM pain_reports h
           WHERE h.organization_id = p.organization_id AND h.patient_id = p.id AND h.reported_at > $3)
         UNION ALL
         -- The first at-rest report, when it is older than that (if not, the range holds it).
         (SELECT b.* FROM pain_reports b
           WHERE b.organization_id = p.organization_id AND b.patient_id = p.id AND b.context = 'baseline'
             AND b.reported_at <= $3
           ORDER BY b.reported_at ASC LIMIT 1)
         UNION ALL
         -- The last report before the range: the previous report of the range's first one (a
         -- patient with none at all is at their first report since enrolment).
         (SELECT l.* FROM pain_reports l
           WHERE l.organization_id = p.organization_id AND l.patient_id = p.id AND l.reported_at <= $3
           ORDER BY l.reported_at DESC LIMIT 1)
       ) h) AS history,
    -- The first and latest ODI questionnaires, for PERSISTENT_SYMPTOMS: only for a patient
    -- with a known onset (the rule needs one), two probes of the instrument's index. The
    -- latest completed by the newest report of the write ($4), not one completed after it.
    CASE WHEN p.symptom_onset_date IS NOT NULL THEN
      (SELECT jsonb_build_object('first', f.score->'score', 'latest', l.score->'score')
         FROM (SELECT q.score FROM questionnaires q
                WHERE q.organization_id = p.organization_id AND q.patient_id = p.id AND q.instrument = 'odi'
                  AND q.completed_at <= $4
                ORDER BY q.completed_at, q.id LIMIT 1) f,
              (SELECT q.score FROM questionnaires q
                WHERE q.organization_id = p.organization_id AND q.patient_id = p.id AND q.instrument = 'odi'
                  AND q.completed_at <= $4
                ORDER BY q.completed_at DESC, q.id DESC LIMIT 1) l)
    END AS odi,
    (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', a.id, 'rule', a.rule, 'severity', a.severity)), '[]')
       FROM (SELECT id, rule, severity FROM alerts
              WHERE organization_id = (SELECT organization_id FROM p) AND patient_id = (SELECT id FROM p)
                AND status = 'open') a) AS open_alerts
  FROM p`;
}

/**
 * The parts of a write statement that open alerts, update open ones and queue their outbox
 * events, as `decideAlerts` decided them (`alertWritesArgs` gives their parameters, from `$n`:
 * the time, then the alerts opened, updated, and the events); `$1` is the organization, `$2` the
 * patient; `when` guards every part; `trace` is the parameter of the writer's traceparent
 * (`activeTraceparent()`), stored with the events. Shared by the records write and the
 * questionnaire write.
 */
export function alertWritesSql(n: number, when: string, trace: string): string {
  const $ = (i: number) => `$${n + i}`;
  return `alerts_opened AS (
  INSERT INTO alerts (id, organization_id, patient_id, rule, severity, finding_id, last_finding_id, finding_count,
                      created_at, updated_at)
  SELECT id, $1, $2, rule, severity, finding_id, finding_id, finding_count, ${$(0)}, ${$(0)}
  FROM unnest(${$(1)}::uuid[], ${$(2)}::text[], ${$(3)}::text[], ${$(4)}::uuid[], ${$(5)}::int[])
    AS t(id, rule, severity, finding_id, finding_count)
  WHERE ${when}
), alerts_updated AS (
  UPDATE alerts a SET last_finding_id = u.finding_id, finding_count = a.finding_count + u.finding_count,
         updated_at = ${$(0)},
         severity = COALESCE(u.escalate_to, a.severity),
         escalation_count = a.escalation_count + CASE WHEN u.escalate_to IS NULL THEN 0 ELSE 1 END,
         escalated_at = CASE WHEN u.escalate_to IS NULL THEN a.escalated_at ELSE ${$(0)} END
  FROM unnest(${$(6)}::uuid[], ${$(7)}::uuid[], ${$(8)}::int[], ${$(9)}::text[]) AS u(id, finding_id, finding_count, escalate_to)
  WHERE a.id = u.id AND a.organization_id = $1 AND ${when}
), events AS (
  INSERT INTO outbox (organization_id, event_type, payload, trace_context)
  SELECT $1, event_type, payload, ${trace}::text
  FROM unnest(${$(10)}::text[], ${$(11)}::jsonb[]) AS t(event_type, payload)
  WHERE ${when}
  RETURNING id
)`;
}

/** The parameters of `alertWritesSql`, in its order. */
export function alertWritesArgs(
  now: Date,
  w: Pick<RecordsWrite, 'alertsOpened' | 'alertsUpdated' | 'events'>,
): unknown[] {
  return [
    now,
    w.alertsOpened.map((x) => x.id),
    w.alertsOpened.map((x) => x.rule),
    w.alertsOpened.map((x) => x.severity),
    w.alertsOpened.map((x) => x.findingId),
    w.alertsOpened.map((x) => x.count),
    w.alertsUpdated.map((x) => x.id),
    w.alertsUpdated.map((x) => x.findingId),
    w.alertsUpdated.map((x) => x.count),
    w.alertsUpdated.map((x) => x.escalateTo),
    w.events.map((e) => e.type),
    w.events.map((e) => JSON.stringify(e)),
  ];
}

const LOCK_PATIENT = prepared('SELECT 1 FROM patients WHERE id = $1 FOR UPDATE');

/**
 * One statement for a whole write: the session, its pain reports, the findings, the alerts
 * opened or escalated with their outbox events (and the NOTIFY that wakes the relay at commit),
 * the program put on hold, and the adherence mark. Foreign keys between its parts are checked
 * at the end of the statement, so each part may refer to rows another part inserts.
 *
 * All of it only if the patient's records version is still the one the context was read at
 * ($48): \`unchanged\` moves it on, waiting for a write of the same patient in flight (its row
 * lock) and then, if that one committed, finding another version and writing nothing. Every
 * part below reads \`unchanged\` (a one-time filter, evaluated before any row is written).
 */
const WRITE_RECORDS = prepared(`
WITH unchanged AS (
  UPDATE patients SET records_version = records_version + 1
  WHERE id = $2 AND organization_id = $1 AND records_version = $48::bigint
  RETURNING id
), session_in AS (
  SELECT * FROM unnest($5::uuid[], $6::uuid[], $7::text[], $8::bytea[], $9::timestamptz[], $10::int[], $11::jsonb[])
    AS t(id, program_id, client_ref, request_hash, performed_at, duration_minutes, items)
), session_written AS (
  INSERT INTO sessions (id, organization_id, patient_id, program_id, client_ref, request_hash, performed_at,
                        local_date, duration_minutes, items, created_by_key_id)
  SELECT id, $1, $2, program_id, client_ref, request_hash, performed_at, (performed_at AT TIME ZONE $3)::date,
         duration_minutes, items, $4
  FROM session_in WHERE EXISTS (SELECT FROM unchanged)
  RETURNING local_date, created_at
), reports_written AS (
  INSERT INTO pain_reports (id, organization_id, patient_id, client_ref, request_hash, session_id, reported_at,
                            local_date, intensity, most_distal_site, side, context, red_flags, odi, created_by_key_id)
  SELECT id, $1, $2, client_ref, request_hash, session_id, reported_at, (reported_at AT TIME ZONE $3)::date,
         intensity, most_distal_site, side, context, red_flags, odi, $4
  FROM unnest($12::uuid[], $13::text[], $14::bytea[], $15::uuid[], $16::timestamptz[], $17::int[], $18::text[],
              $19::text[], $20::text[], $21::jsonb[], $22::int[])
    AS t(id, client_ref, request_hash, session_id, reported_at, intensity, most_distal_site, side, context, red_flags, odi)
  WHERE EXISTS (SELECT FROM unchanged)
  RETURNING id, local_date, created_at
), findings_written AS (
  INSERT INTO findings (id, organization_id, patient_id, rule, severity, action, program_effect, evidence,
                        pain_report_id, session_id)
  SELECT id, $1, $2, rule, severity, action, program_effect, evidence, pain_report_id, session_id
  FROM unnest($23::uuid[], $24::text[], $25::text[], $26::text[], $27::text[], $28::jsonb[], $29::uuid[], $30::uuid[])
    AS t(id, rule, severity, action, program_effect, evidence, pain_report_id, session_id)
  WHERE EXISTS (SELECT FROM unchanged)
  RETURNING created_at
), ${alertWritesSql(31, 'EXISTS (SELECT FROM unchanged)', '$49')}, program_held AS (
  UPDATE programs SET status = $44, status_reason = $45, status_changed_at = now()
  WHERE organization_id = $1 AND id = $43 AND $44::text IS NOT NULL AND EXISTS (SELECT FROM unchanged)
), hold AS (
  -- One hold a program: a pause that becomes a suspension stays the same hold, so that it
  -- ends when the program resumes.
  INSERT INTO program_holds (organization_id, program_id, status, reason, started_at)
  SELECT $1, $43, $44, $45, LEAST($46::timestamptz, now())
  WHERE $44::text IS NOT NULL AND EXISTS (SELECT FROM unchanged)
  ON CONFLICT (organization_id, program_id) WHERE ended_at IS NULL
    DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason
), marked AS (
  -- The worker recomputes the patient's adherence within seconds.
  INSERT INTO adherence_dirty (organization_id, patient_id) SELECT $1, $2 FROM unchanged
)
SELECT EXISTS (SELECT FROM unchanged) AS unchanged,
       (SELECT to_jsonb(s) FROM session_written s) AS session,
       (SELECT COALESCE(jsonb_agg(to_jsonb(r)), '[]') FROM reports_written r) AS reports,
       (SELECT max(created_at) FROM findings_written) AS findings_created_at,
       -- NOTIFY reaches the relay at commit, once the outbox rows are visible.
       (SELECT count(*) FROM (SELECT pg_notify($47, '') FROM (SELECT 1 FROM events LIMIT 1) e) n) AS notified`);

/** What `writeSessionAlone` found or wrote. */
export type SessionAloneResult =
  | { kind: 'not_visible' }
  | {
      kind: 'written';
      id: string;
      localDate: string;
      createdAt: Date;
      programId: string | null;
      program: ProgramState | null;
    }
  | { kind: 'existing'; existing: StoredRef; program: ProgramState | null }
  /** Another write of the same clientRef committed while this one ran: read it again. */
  | { kind: 'raced' };

/**
 * A session without pain before or after, in one statement: the rules read pain reports, open
 * alerts and the program's status, none of which such a session changes, so it needs neither
 * their context nor the records version. $1 patient, $2 id, $3 clientRef, $4 request hash,
 * $5 performedAt, $6 duration, $7 items, $8 key; the viewer's visibility after them.
 */
function sessionAloneSql(visible: string): string {
  return `
  WITH p AS (
    SELECT p.id, p.organization_id, p.timezone FROM patients p WHERE p.id = $1 ${visible}
  ), program AS (
    SELECT pr.id, pr.status, pr.status_reason AS "statusReason" FROM programs pr, p
    WHERE pr.organization_id = p.organization_id AND pr.patient_id = p.id AND pr.superseded_at IS NULL
  ), written AS (
    INSERT INTO sessions (id, organization_id, patient_id, program_id, client_ref, request_hash, performed_at,
                          local_date, duration_minutes, items, created_by_key_id)
    SELECT $2::uuid, p.organization_id, p.id, (SELECT id FROM program), $3::text, $4::bytea, $5::timestamptz,
           ($5::timestamptz AT TIME ZONE p.timezone)::date, $6::int, $7::jsonb, $8::uuid
    FROM p
    ON CONFLICT (organization_id, patient_id, client_ref) DO NOTHING
    RETURNING local_date::text AS "localDate", created_at AS "createdAt"
  ), marked AS (
    -- The worker recomputes the patient's adherence within seconds.
    INSERT INTO adherence_dirty (organization_id, patient_id)
    SELECT p.organization_id, p.id FROM p WHERE EXISTS (SELECT FROM written)
  )
  SELECT EXISTS (SELECT FROM p) AS visible,
    (SELECT to_jsonb(w) FROM written w) AS written,
    (SELECT to_jsonb(program) FROM program) AS program,
    -- Stored before this statement began (one stored meanwhile is neither this nor written).
    (SELECT jsonb_build_object('id', s.id, 'requestHash', encode(s.request_hash, 'hex'))
       FROM sessions s, p
      WHERE s.organization_id = p.organization_id AND s.patient_id = p.id AND s.client_ref = $3::text
        AND NOT EXISTS (SELECT FROM written)) AS existing,
    (SELECT organization_id FROM p) AS organization_id`;
}

/** The history as loadContext sends it (see the history column of loadContextSql). */
function historyOf(text: string): PainObservation[] {
  if (text === '') return [];
  return text.split('\n').map((line) => {
    const [id, reportedMs, intensity, mostDistalSite, side, context, sessionId] = line.split(',');
    return {
      id,
      reportedAt: new Date(Number(reportedMs)),
      intensity: Number(intensity),
      mostDistalSite: mostDistalSite as PainSite,
      side: side === '' ? null : (side as PainSide),
      context: context as PainContext,
      sessionId: sessionId === '' ? null : sessionId,
      redFlags: null,
    };
  });
}

/** Sessions, pain reports and the findings the rules drew from them, with what they set off. */
@Injectable()
export class RecordsRepository {
  constructor(private readonly db: Db) {}

  /** See RecordsContext; null when the viewer may not see the patient (or there is none). */
  async loadContext(
    on: Executor,
    viewer: Viewer | null,
    patientId: string,
    refs: { table: 'pain_reports' | 'sessions'; clientRefs: string[] },
    historySince: Date | null,
    lock: boolean,
    /** The newest report's time: the ODI questionnaires read are those completed by then. */
    odiAsOf: Date | null = null,
  ): Promise<RecordsContext | null> {
    // The lock in a statement of its own, before the read: a statement that waited for the
    // lock would read everything but the locked row as it was before the wait (READ
    // COMMITTED takes the snapshot when a statement starts), missing what the writer it
    // waited for committed.
    if (lock) await runPrepared(on, LOCK_PATIENT, [patientId]);
    const params: unknown[] = [patientId, refs.clientRefs, historySince, odiAsOf];
    const sql = loadContextSql(refs.table, visibleSql(viewer, params));
    const [row] = await runPrepared<{
      patient: {
        id: string;
        organization_id: string;
        timezone: string;
        symptom_onset_date: string | null;
        baseline_pain_intensity: number | null;
        baseline_pain_site: PainSite | null;
        baseline_pain_side: PainSide | null;
      };
      version: string;
      settings: Record<string, unknown>;
      program: { id: string; status: ProgramStatus; statusReason: string | null } | null;
      existing: { clientRef: string; id: string; requestHash: string | null }[];
      history: string;
      odi: { first: number; latest: number } | null;
      open_alerts: OpenAlert[];
    }>(on, prepared(sql), params);
    if (!row) return null;
    const p = row.patient;
    return {
      patient: {
        id: p.id,
        organizationId: p.organization_id,
        timezone: p.timezone,
        symptomOnsetDate: p.symptom_onset_date,
        baselinePainIntensity: p.baseline_pain_intensity,
        baselinePainSite: p.baseline_pain_site,
        baselinePainSide: p.baseline_pain_side,
      },
      version: row.version,
      settings: row.settings,
      program: row.program ? { ...row.program, organizationId: p.organization_id } : null,
      existing: new Map(
        row.existing.map((e) => [
          e.clientRef,
          {
            id: e.id,
            requestHash: e.requestHash === null ? null : Buffer.from(e.requestHash, 'hex'),
          },
        ]),
      ),
      history: historyOf(row.history),
      odi: row.odi,
      openAlerts: row.open_alerts,
    };
  }

  /**
   * Writes a whole decided write in one statement (see WRITE_RECORDS), or nothing when the
   * context it was decided from is out of date (StaleRecordsContextError).
   */
  async write(on: Executor, version: string, w: RecordsWrite): Promise<RecordsWritten> {
    const s = w.session ? [w.session] : [];
    const r = w.reports;
    const f = w.findings;
    const [row] = await runPrepared<{
      unchanged: boolean;
      session: { local_date: string; created_at: string } | null;
      reports: { id: string; local_date: string; created_at: string }[];
      findings_created_at: Date | null;
    }>(on, WRITE_RECORDS, [
      w.organizationId,
      w.patientId,
      w.timezone,
      w.createdByKeyId,
      s.map((x) => x.id),
      s.map((x) => x.programId),
      s.map((x) => x.clientRef),
      s.map((x) => x.requestHash),
      s.map((x) => x.performedAt),
      s.map((x) => x.durationMinutes),
      s.map((x) => JSON.stringify(x.items)),
      r.map((x) => x.id),
      r.map((x) => x.clientRef),
      r.map((x) => x.requestHash),
      r.map((x) => x.sessionId),
      r.map((x) => x.reportedAt),
      r.map((x) => x.intensity),
      r.map((x) => x.mostDistalSite),
      r.map((x) => x.side),
      r.map((x) => x.context),
      r.map((x) => (x.redFlags ? JSON.stringify(x.redFlags) : null)),
      r.map((x) => x.odi),
      f.map((x) => x.id),
      f.map((x) => x.rule),
      f.map((x) => x.severity),
      f.map((x) => x.action),
      f.map((x) => x.programEffect),
      f.map((x) => JSON.stringify(x.evidence)),
      f.map((x) => x.painReportId),
      f.map((x) => x.sessionId),
      ...alertWritesArgs(w.now, w),
      w.hold?.programId ?? null,
      w.hold?.status ?? null,
      w.hold?.reason ?? null,
      w.hold?.from ?? null,
      OUTBOX_CHANNEL,
      version,
      activeTraceparent(),
    ]);
    if (!row.unchanged) throw new StaleRecordsContextError();
    return {
      session: row.session
        ? { localDate: row.session.local_date, createdAt: new Date(row.session.created_at) }
        : null,
      reports: new Map(
        row.reports.map((x) => [
          x.id,
          { localDate: x.local_date, createdAt: new Date(x.created_at) },
        ]),
      ),
      findingsCreatedAt: row.findings_created_at,
    };
  }

  /** See sessionAloneSql; `on` is the request's transaction if it has one, else the pool. */
  async writeSessionAlone(
    on: Executor,
    viewer: Viewer | null,
    patientId: string,
    s: Omit<NewSessionRow, 'programId'>,
    createdByKeyId: string | null,
  ): Promise<SessionAloneResult> {
    const params: unknown[] = [
      patientId,
      s.id,
      s.clientRef,
      s.requestHash,
      s.performedAt,
      s.durationMinutes,
      JSON.stringify(s.items),
      createdByKeyId,
    ];
    const sql = sessionAloneSql(visibleSql(viewer, params));
    const [row] = await runPrepared<{
      visible: boolean;
      written: { localDate: string; createdAt: string } | null;
      program: { id: string; status: ProgramStatus; statusReason: string | null } | null;
      existing: { id: string; requestHash: string | null } | null;
      organization_id: string | null;
    }>(on, prepared(sql), params);
    if (!row.visible) return { kind: 'not_visible' };
    const program = row.program ? { ...row.program, organizationId: row.organization_id! } : null;
    if (row.written) {
      return {
        kind: 'written',
        id: s.id,
        localDate: row.written.localDate,
        createdAt: new Date(row.written.createdAt),
        programId: program?.id ?? null,
        program,
      };
    }
    if (!row.existing) return { kind: 'raced' };
    const hash = row.existing.requestHash;
    return {
      kind: 'existing',
      existing: {
        id: row.existing.id,
        requestHash: hash === null ? null : Buffer.from(hash, 'hex'),
      },
      program,
    };
  }

  /** Findings already stored for these reports, to answer a replayed write. */
  findingsForReports(organizationId: string, reportIds: string[]): Promise<RuleFinding[]> {
    if (reportIds.length === 0) return Promise.resolve([]);
    return this.db.current
      .getRepository(RuleFinding)
      .createQueryBuilder('f')
      .where('f.organization_id = :org AND f.pain_report_id = ANY(:ids)', {
        org: organizationId,
        ids: reportIds,
      })
      .orderBy('f.created_at', 'ASC')
      .addOrderBy('f.id', 'ASC')
      .getMany();
  }

  painReport(organizationId: string, id: string): Promise<PainReport> {
    return this.db.current.getRepository(PainReport).findOneByOrFail({ organizationId, id });
  }

  session(organizationId: string, id: string): Promise<SessionLog> {
    return this.db.current.getRepository(SessionLog).findOneByOrFail({ organizationId, id });
  }

  reportsOfSession(organizationId: string, sessionId: string): Promise<PainReport[]> {
    return this.db.current.getRepository(PainReport).findBy({ organizationId, sessionId });
  }
}
