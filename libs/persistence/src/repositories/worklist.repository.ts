import {
  type StartBackStratum,
  WORKLIST_BANDS,
  type WorklistBand,
  type WorklistEntry,
  type WorklistReason,
} from '@app/domain';
import { Injectable } from '@nestjs/common';
import { activeTraceparent } from '@app/telemetry';
import { Db, type Executor, prepared, runPrepared } from '../db.service';
import { InvalidCursorError, type KeysetPage } from '../keyset-page';
import { OUTBOX_CHANNEL } from './outbox.repository';
import type { Viewer } from './patients.repository';

/** What the worklist reads of one patient besides the flags and the RTM ledger. */
export interface WorklistFacts {
  organizationId: string;
  patientId: string;
  clinicianId: string | null;
  enrolledAt: Date;
  openAlerts: { id: string; rule: string; severity: 'warning' | 'urgent'; createdAt: Date }[];
  programHold: {
    programId: string;
    status: 'paused' | 'suspended';
    reason: string | null;
    since: Date;
  } | null;
  lastReviewAt: Date | null;
  startBack: StartBackStratum | null;
  startBackAt: Date | null;
}

/** A worklist row as the API lists it. */
export interface WorklistRow {
  patientId: string;
  externalRef: string;
  clinicianId: string | null;
  band: WorklistBand;
  score: number;
  reasons: WorklistReason[];
  computedAt: Date;
}

const FACTS = prepared(`
  WITH b AS (SELECT * FROM unnest($1::uuid[], $2::uuid[]) AS b(organization_id, patient_id))
  SELECT p.organization_id AS "organizationId", p.id AS "patientId", p.clinician_id AS "clinicianId",
    p.created_at AS "enrolledAt",
    (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', a.id, 'rule', a.rule, 'severity', a.severity,
                                                  'createdAt', a.created_at) ORDER BY a.created_at, a.id), '[]')
       FROM alerts a
      WHERE a.organization_id = p.organization_id AND a.patient_id = p.id AND a.status = 'open') AS "openAlerts",
    (SELECT jsonb_build_object('programId', pr.id, 'status', pr.status, 'reason', pr.status_reason,
                               'since', COALESCE(h.started_at, pr.status_changed_at))
       FROM programs pr
       LEFT JOIN program_holds h
         ON h.organization_id = pr.organization_id AND h.program_id = pr.id AND h.ended_at IS NULL
      WHERE pr.organization_id = p.organization_id AND pr.patient_id = p.id AND pr.superseded_at IS NULL
        AND pr.status IN ('paused', 'suspended')
      LIMIT 1) AS "programHold",
    -- A clinician's review: care time logged on the patient, or one of its alerts handled.
    GREATEST(
      (SELECT max(c.started_at) FROM care_time_entries c
        WHERE c.organization_id = p.organization_id AND c.patient_id = p.id AND c.voided_at IS NULL),
      (SELECT max(GREATEST(a.acknowledged_at, a.resolved_at)) FROM alerts a
        WHERE a.organization_id = p.organization_id AND a.patient_id = p.id AND a.status <> 'open')
    ) AS "lastReviewAt",
    sb.stratum AS "startBack", sb.completed_at AS "startBackAt"
  FROM b JOIN patients p ON p.organization_id = b.organization_id AND p.id = b.patient_id
  LEFT JOIN LATERAL (
    SELECT q.score->>'stratum' AS stratum, q.completed_at FROM questionnaires q
     WHERE q.organization_id = p.organization_id AND q.patient_id = p.id AND q.instrument = 'startback'
     ORDER BY q.completed_at DESC, q.id DESC LIMIT 1) sb ON true`);

/**
 * Writes a batch's entries; an unchanged entry is not rewritten. A patient entering the urgent
 * band (from another band, or new) gets a `worklist.escalated` outbox event, written with the
 * entry (and the relay woken at commit).
 */
const UPSERT = prepared(`
  WITH input AS (
    SELECT t.*, r.codes AS rtm_codes
      FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::smallint[], $5::int[], $6::timestamptz[], $7::jsonb[],
                  $11::text[], $12::text[])
        AS t(organization_id, patient_id, clinician_id, band, score, oldest_urgent_at, reasons, rtm_month, rtm_codes_csv)
      CROSS JOIN LATERAL (SELECT COALESCE(string_to_array(NULLIF(t.rtm_codes_csv, ''), ','), '{}') AS codes) r
  ), before AS (
    SELECT w.organization_id, w.patient_id, w.band FROM worklist_entries w
      JOIN input i ON i.organization_id = w.organization_id AND i.patient_id = w.patient_id
    FOR UPDATE OF w
  ), written AS (
    INSERT INTO worklist_entries AS w (organization_id, patient_id, clinician_id, band, score, oldest_urgent_at,
                                       reasons, rtm_month, rtm_codes, computed_at)
    SELECT organization_id, patient_id, clinician_id, band, score, oldest_urgent_at, reasons, rtm_month, rtm_codes, $8
      FROM input
    ON CONFLICT (organization_id, patient_id) DO UPDATE
      SET clinician_id = EXCLUDED.clinician_id, band = EXCLUDED.band, score = EXCLUDED.score,
          oldest_urgent_at = EXCLUDED.oldest_urgent_at, reasons = EXCLUDED.reasons, rtm_month = EXCLUDED.rtm_month,
          rtm_codes = EXCLUDED.rtm_codes, computed_at = EXCLUDED.computed_at
      -- Never back to an older computation (a dirty batch and an hourly chunk may overlap).
      WHERE w.computed_at <= EXCLUDED.computed_at
        AND (w.clinician_id, w.band, w.score, w.oldest_urgent_at, w.reasons, w.rtm_month, w.rtm_codes)
            IS DISTINCT FROM (EXCLUDED.clinician_id, EXCLUDED.band, EXCLUDED.score, EXCLUDED.oldest_urgent_at,
                              EXCLUDED.reasons, EXCLUDED.rtm_month, EXCLUDED.rtm_codes)
    RETURNING w.organization_id, w.patient_id, w.band, w.score, w.reasons
  ), escalated AS (
    INSERT INTO outbox (organization_id, event_type, payload, trace_context)
    SELECT u.organization_id, 'worklist.escalated',
           jsonb_build_object('type', 'worklist.escalated', 'timestamp', $9::text,
             'data', jsonb_build_object('patientId', u.patient_id, 'band', 'urgent', 'score', u.score,
               'reasons', (SELECT jsonb_agg(DISTINCT r->>'kind') FROM jsonb_array_elements(u.reasons) r))),
           $13::text
      FROM written u
      LEFT JOIN before b ON b.organization_id = u.organization_id AND b.patient_id = u.patient_id
     WHERE u.band = 0 AND (b.band IS NULL OR b.band <> 0)
    RETURNING id
  )
  SELECT (SELECT count(*) FROM written)::int AS written, (SELECT count(*) FROM escalated)::int AS escalated,
         (SELECT count(*) FROM (SELECT pg_notify($10, '') FROM (SELECT 1 FROM escalated LIMIT 1) e) n) AS notified`);

interface Cursor {
  band: number;
  score: number;
  urgentSince: string;
  patientId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURSOR_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z|infinity)$/;

function validInstant(text: string): boolean {
  const t = Date.parse(text);
  return !Number.isNaN(t) && new Date(t).toISOString() === text;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.band, c.score, c.urgentSince, c.patientId])).toString(
    'base64url',
  );
}

/** A position in the list, checked whole: a crafted cursor is refused, never sent as is. */
function decodeCursor(cursor: string): Cursor {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  if (Array.isArray(decoded) && decoded.length === 4) {
    const [band, score, urgentSince, patientId] = decoded as unknown[];
    if (
      Number.isInteger(band) &&
      (band as number) >= 0 &&
      (band as number) <= 2 &&
      Number.isInteger(score) &&
      Math.abs(score as number) < 2 ** 31 &&
      typeof urgentSince === 'string' &&
      CURSOR_TIME.test(urgentSince) &&
      // A day that does not exist (02-30) is refused here, not by PostgreSQL.
      (urgentSince === 'infinity' || validInstant(urgentSince)) &&
      typeof patientId === 'string' &&
      UUID.test(patientId)
    ) {
      return {
        band: band as number,
        score: score as number,
        urgentSince,
        patientId,
      };
    }
  }
  throw new InvalidCursorError();
}

/** The clinician worklist the worker keeps, one row a patient (docs/worklist.md). */
@Injectable()
export class WorklistRepository {
  constructor(private readonly db: Db) {}

  /** What the worklist weighs of these patients, besides flags and RTM. */
  async facts(
    on: Executor,
    patients: readonly { organizationId: string; patientId: string }[],
  ): Promise<WorklistFacts[]> {
    if (patients.length === 0) return [];
    const rows = await runPrepared<
      Omit<WorklistFacts, 'openAlerts' | 'programHold' | 'startBackAt'> & {
        startBackAt: string | null;
        openAlerts: {
          id: string;
          rule: string;
          severity: 'warning' | 'urgent';
          createdAt: string;
        }[];
        programHold: {
          programId: string;
          status: 'paused' | 'suspended';
          reason: string | null;
          since: string;
        } | null;
      }
    >(on, FACTS, [patients.map((p) => p.organizationId), patients.map((p) => p.patientId)]);
    return rows.map((r) => ({
      ...r,
      enrolledAt: new Date(r.enrolledAt),
      lastReviewAt: r.lastReviewAt ? new Date(r.lastReviewAt) : null,
      startBackAt: r.startBackAt ? new Date(r.startBackAt) : null,
      openAlerts: r.openAlerts.map((a) => ({ ...a, createdAt: new Date(a.createdAt) })),
      programHold: r.programHold
        ? { ...r.programHold, since: new Date(r.programHold.since) }
        : null,
    }));
  }

  /** Stores a batch's entries (see UPSERT); answers how many changed and how many escalated. */
  async store(
    on: Executor,
    entries: readonly (WorklistEntry & {
      organizationId: string;
      patientId: string;
      clinicianId: string | null;
      /** The patient's current month and the RTM codes met in it so far. */
      rtmMonth: string;
      rtmCodes: readonly string[];
    })[],
    now: Date,
  ): Promise<{ written: number; escalated: number }> {
    if (entries.length === 0) return { written: 0, escalated: 0 };
    const [row] = await runPrepared<{ written: number; escalated: number }>(on, UPSERT, [
      entries.map((e) => e.organizationId),
      entries.map((e) => e.patientId),
      entries.map((e) => e.clinicianId),
      entries.map((e) => WORKLIST_BANDS.indexOf(e.band)),
      entries.map((e) => e.score),
      entries.map((e) => e.oldestUrgentAt ?? 'infinity'),
      entries.map((e) => JSON.stringify(e.reasons)),
      now,
      now.toISOString(),
      OUTBOX_CHANNEL,
      entries.map((e) => e.rtmMonth),
      entries.map((e) => e.rtmCodes.join(',')),
      activeTraceparent(),
    ]);
    return { written: row.written, escalated: row.escalated };
  }

  /**
   * A page of the list in rank order: a clinician's own patients, or the whole organization's
   * for an admin (optionally one clinician's). From the read replica (docs/read-replica.md): the
   * worker keeps the list a moment behind the records anyway.
   */
  async page(
    viewer: Viewer,
    clinicianId: string | null,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysetPage<WorklistRow>> {
    const params: unknown[] = [viewer.organizationId];
    const where = ['w.organization_id = $1'];
    const own = viewer.role === 'clinician' ? viewer.clinicianId : clinicianId;
    if (own !== null) {
      params.push(own);
      // The row's clinician for the index, the patient's for what is true now (a patient
      // reassigned leaves the old list at once, and joins the new one at the next update).
      where.push(`w.clinician_id = $${params.length} AND p.clinician_id = $${params.length}`);
    }
    if (cursor) {
      const c = decodeCursor(cursor);
      params.push(c.band, c.score, c.urgentSince, c.patientId);
      const n = params.length;
      where.push(`(w.band > $${n - 3} OR (w.band = $${n - 3} AND (w.score < $${n - 2}
        OR (w.score = $${n - 2} AND (w.oldest_urgent_at, w.patient_id) > ($${n - 1}::timestamptz, $${n}::uuid)))))`);
    }
    params.push(limit + 1);
    const rows = await this.db.replicaRead((m) =>
      m.query<(Omit<WorklistRow, 'band'> & { band: number; urgentSince: string })[]>(
        `SELECT w.patient_id AS "patientId", p.external_ref AS "externalRef", w.clinician_id AS "clinicianId",
              w.band, w.score, w.reasons, w.computed_at AS "computedAt",
              CASE WHEN w.oldest_urgent_at = 'infinity' THEN 'infinity'
                   ELSE to_char(w.oldest_urgent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END AS "urgentSince"
         FROM worklist_entries w
         JOIN patients p ON p.organization_id = w.organization_id AND p.id = w.patient_id
        WHERE ${where.join(' AND ')}
        ORDER BY w.band, w.score DESC, w.oldest_urgent_at, w.patient_id
        LIMIT $${params.length}`,
        params,
      ),
    );
    const more = rows.length > limit;
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data: data.map(({ urgentSince: _u, ...r }) => ({ ...r, band: WORKLIST_BANDS[r.band] })),
      nextCursor:
        more && last
          ? encodeCursor({
              band: last.band,
              score: last.score,
              urgentSince: last.urgentSince,
              patientId: last.patientId,
            })
          : null,
    };
  }
}
