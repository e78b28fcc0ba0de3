import {
  parseDailyStepsObservationId,
  parseProgressionFlagId,
  type FhirSource,
  type FhirSourceRows,
} from '@app/domain';
import { Injectable } from '@nestjs/common';
import { Db, queryRows } from '../db.service';
import type { Reader } from '../read-replica.service';
import { visibleSql, type Viewer } from './patients.repository';

/**
 * What the FHIR face reads, source by source: each source is one table (or the progression
 * flags inside patient_progress) joined to its patient, so visibility is the same rule as /v1's
 * (visibleSql). Every source pages by the same key, (patient, instant, resource id): a patient's
 * search runs in time order, an export patient by patient, both by keyset.
 */
/** Where a row stands in its source's order: its patient, its instant (µs, UTC), its id. */
export interface FhirKey {
  patientId: string;
  at: string;
  rid: string;
}

export type Keyed<T> = T & { key: FhirKey };

/** A bound on a resource's date: a local day (date-only values) or an instant. */
export interface FhirDateBound {
  op: 'eq' | 'gt' | 'lt' | 'ge' | 'le';
  /** `YYYY-MM-DD` compares the patient-local day; anything else is an instant. */
  value: string;
}

export interface FhirPatientScope {
  /** Whose visibility applies; null only for ownerOf (an audit row's patient). */
  viewer: Viewer | null;
  /** One patient (a search, $everything). */
  patientId?: string;
  /** A batch of patients (an export). */
  patientIds?: readonly string[];
}

export interface FhirPageQuery {
  scope: FhirPatientScope;
  after?: FhirKey | null;
  descending?: boolean;
  limit: number;
  dates?: readonly FhirDateBound[];
  /** Only rows changed at or after this instant (Bulk Data `_since`). */
  since?: Date | null;
  /** Flags and alerts: active (open, acknowledged, and progression flags) or inactive. */
  status?: 'active' | 'inactive';
  /** One row by its FHIR id. */
  rid?: string;
  /** Patients by the organization's reference (Patient?identifier=). */
  externalRef?: string;
}

const iso = (expr: string) =>
  `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const isoMs = (expr: string) =>
  `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const ofPatient = (alias: string) =>
  `JOIN patients p ON p.organization_id = ${alias}.organization_id AND p.id = ${alias}.patient_id`;

interface SourceSql {
  from: string;
  /** The instant a row sorts by, and its FHIR resource id. */
  at: string;
  rid: string;
  /** When the row last changed (Bulk Data `_since`). */
  changed: string;
  /** The patient-local day date-only bounds compare, if the resource has one. */
  day: string | null;
  where?: string;
  columns: string;
  status?: { active: string; inactive: string };
  /**
   * How a FHIR id finds its row by index: the uuid column the id is (`uuid`), or the id parsed
   * into the patient and the day (`steps`) or the flag (`flag`).
   */
  id: { uuid: string } | 'steps' | 'flag';
  /** What an app key sees of the source beyond its patients (as /v1 shows apps). */
  forApps?: string;
}

const PROGRESSION_FLAG_ID = `lower(replace(f.value->>'flag', '_', '-')) || '-' || p.id`;

/** When a program version last changed: made, its status moved, or superseded. */
const PROGRAM_CHANGED = 'greatest(x.created_at, x.status_changed_at, x.superseded_at)';

const PROGRAMS: SourceSql = {
  from: `programs x ${ofPatient('x')}`,
  id: { uuid: 'x.id' },
  // An app sees the program in force (GET /v1/patients/{id}/programs/active), not the history.
  forApps: 'x.superseded_at IS NULL',
  at: 'x.created_at',
  rid: 'x.id::text',
  changed: PROGRAM_CHANGED,
  day: 'x.start_date',
  columns: `x.id, x.patient_id AS "patientId", x.version, x.status, x.status_reason AS "statusReason",
    x.start_date::text AS "startDate", x.walking_goal_daily_steps AS "walkingGoalDailySteps",
    x.supersedes_program_id AS "supersedesProgramId",
    ${isoMs('x.superseded_at')} AS "supersededAt", ${isoMs('x.created_at')} AS "createdAt",
    ${isoMs(PROGRAM_CHANGED)} AS "updatedAt",
    (SELECT coalesce(json_agg(json_build_object(
              'position', i.position, 'exerciseCode', i.exercise_code, 'sets', i.sets,
              'reps', i.reps, 'repsGoal', i.reps_goal, 'holdSeconds', i.hold_seconds,
              'holdGoalSeconds', i.hold_goal_seconds, 'durationMinutes', i.duration_minutes,
              'timesPerDay', i.times_per_day, 'daysPerWeek', i.days_per_week) ORDER BY i.position),
            '[]'::json)
       FROM program_items i WHERE i.organization_id = x.organization_id AND i.program_id = x.id) AS items`,
};

const QUESTIONNAIRES: SourceSql = {
  from: `questionnaires x ${ofPatient('x')}`,
  id: { uuid: 'x.id' },
  at: 'x.completed_at',
  rid: 'x.id::text',
  changed: 'x.created_at',
  day: 'x.local_date',
  columns: `x.id, x.patient_id AS "patientId", x.instrument, ${isoMs('x.completed_at')} AS "completedAt",
    x.answers, x.score, ${isoMs('x.created_at')} AS "createdAt"`,
};

const SOURCES: Record<FhirSource, SourceSql> = {
  patient: {
    from: 'patients p',
    id: { uuid: 'p.id' },
    at: 'p.created_at',
    rid: 'p.id::text',
    changed: 'p.updated_at',
    day: null,
    columns: `p.id, p.organization_id AS "organizationId", p.external_ref AS "externalRef",
      p.clinician_id AS "clinicianId", p.timezone, ${isoMs('p.updated_at')} AS "updatedAt"`,
  },
  program: PROGRAMS,
  // The walking goal of a program that has one.
  goal: { ...PROGRAMS, where: 'x.walking_goal_daily_steps IS NOT NULL' },
  steps: {
    from: `activity_daily x ${ofPatient('x')}`,
    id: 'steps',
    at: '(x.local_date::timestamp AT TIME ZONE p.timezone)',
    rid: `'steps-' || x.patient_id || '-' || x.local_date::text`,
    changed: 'x.updated_at',
    day: 'x.local_date',
    columns: `x.patient_id AS "patientId", x.local_date::text AS "localDate", p.timezone, x.steps,
      ${isoMs('x.updated_at')} AS "updatedAt"`,
  },
  pain: {
    from: `pain_reports x ${ofPatient('x')}`,
    id: { uuid: 'x.id' },
    at: 'x.reported_at',
    rid: 'x.id::text',
    changed: 'x.created_at',
    day: 'x.local_date',
    columns: `x.id, x.patient_id AS "patientId", ${isoMs('x.reported_at')} AS "reportedAt",
      x.local_date::text AS "localDate", x.intensity, x.most_distal_site AS "mostDistalSite", x.side,
      x.context, x.session_id AS "sessionId", ${isoMs('x.created_at')} AS "createdAt"`,
  },
  questionnaire: QUESTIONNAIRES,
  // The ODI's total as an Observation: the same rows, of that instrument.
  odi: { ...QUESTIONNAIRES, where: `x.instrument = 'odi'` },
  session: {
    from: `sessions x ${ofPatient('x')}`,
    id: { uuid: 'x.id' },
    at: 'x.performed_at',
    rid: 'x.id::text',
    changed: 'x.created_at',
    day: 'x.local_date',
    columns: `x.id, x.patient_id AS "patientId", x.program_id AS "programId",
      ${isoMs('x.performed_at')} AS "performedAt", x.local_date::text AS "localDate",
      x.duration_minutes AS "durationMinutes", x.items, ${isoMs('x.created_at')} AS "createdAt"`,
  },
  progressionFlag: {
    from: `patient_progress pp ${ofPatient('pp')} CROSS JOIN LATERAL jsonb_array_elements(pp.flags) f`,
    id: 'flag',
    at: `((f.value->>'since')::date::timestamp AT TIME ZONE p.timezone)`,
    rid: PROGRESSION_FLAG_ID,
    changed: 'pp.computed_at',
    day: `(f.value->>'since')::date`,
    columns: `p.id AS "patientId", f.value->>'flag' AS flag, f.value->>'since' AS since,
      ${isoMs('pp.computed_at')} AS "computedAt"`,
    status: { active: 'true', inactive: 'false' },
  },
  alert: {
    from: `alerts x ${ofPatient('x')}`,
    id: { uuid: 'x.id' },
    at: 'x.created_at',
    rid: 'x.id::text',
    changed: 'x.updated_at',
    day: null,
    columns: `x.id, x.patient_id AS "patientId", x.rule, x.severity, x.status,
      x.finding_id AS "findingId", ${isoMs('x.created_at')} AS "createdAt",
      ${isoMs('x.updated_at')} AS "updatedAt", ${isoMs('x.resolved_at')} AS "resolvedAt"`,
    status: { active: `x.status <> 'resolved'`, inactive: `x.status = 'resolved'` },
  },
  finding: {
    from: `findings x ${ofPatient('x')}`,
    id: { uuid: 'x.id' },
    at: 'x.created_at',
    rid: 'x.id::text',
    changed: 'x.created_at',
    day: null,
    columns: `x.id, x.patient_id AS "patientId", x.rule, x.severity, x.action,
      x.pain_report_id AS "painReportId", x.questionnaire_id AS "questionnaireId",
      x.session_id AS "sessionId", ${isoMs('x.created_at')} AS "createdAt"`,
  },
};

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const SQL_OP: Record<FhirDateBound['op'], string> = {
  eq: '=',
  gt: '>',
  lt: '<',
  ge: '>=',
  le: '<=',
};

interface RawKey {
  kPatient: string;
  kAt: string;
  kRid: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The condition that finds a FHIR id's row by index (its uuid column, or its patient and day or
 * flag), its values appended to `params`; null when the id cannot be one of the source's.
 */
function idCondition(def: SourceSql, rid: string, params: unknown[]): string | null {
  if (def.id === 'steps') {
    const parsed = parseDailyStepsObservationId(rid);
    if (!parsed || !UUID.test(parsed.patientId)) return null;
    params.push(parsed.patientId.toLowerCase(), parsed.localDate);
    return `p.id = $${params.length - 1}::uuid AND x.local_date = $${params.length}::date`;
  }
  if (def.id === 'flag') {
    const parsed = parseProgressionFlagId(rid);
    if (!parsed || !UUID.test(parsed.patientId)) return null;
    params.push(parsed.patientId.toLowerCase(), parsed.flag);
    return `p.id = $${params.length - 1}::uuid AND f.value->>'flag' = $${params.length}`;
  }
  if (!UUID.test(rid)) return null;
  params.push(rid.toLowerCase());
  return `${def.id.uuid} = $${params.length}::uuid`;
}

/** Compares keys as the SQL orders them (uuid and text ids compare bytewise in both). */
export function compareFhirKeys(a: FhirKey, b: FhirKey): number {
  if (a.patientId !== b.patientId) return a.patientId < b.patientId ? -1 : 1;
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.rid !== b.rid) return a.rid < b.rid ? -1 : 1;
  return 0;
}

/**
 * FHIR reads: every statement carries the viewer's visibility. They are served by the read
 * replica (docs/read-replica.md), or by the `reader` given: an export's names the point of the
 * primary's WAL the replica must have replayed.
 */
@Injectable()
export class FhirRepository {
  private readonly replica: Reader = (read) => this.db.replicaRead(read);

  constructor(private readonly db: Db) {}

  /**
   * A page of one source's rows in key order (descending with `descending`), after `after`.
   * Ids compare with COLLATE "C" so that the order is the one compareFhirKeys gives.
   */
  async page<S extends FhirSource>(
    source: S,
    query: FhirPageQuery,
    reader: Reader = this.replica,
  ): Promise<Keyed<FhirSourceRows[S]>[]> {
    const def = SOURCES[source];
    const params: unknown[] = [];
    const where: string[] = [];
    const visible = visibleSql(query.scope.viewer, params);
    if (def.where) where.push(def.where);
    if (query.scope.patientId !== undefined) {
      params.push(query.scope.patientId);
      where.push(`p.id = $${params.length}`);
    }
    if (query.scope.patientIds !== undefined) {
      params.push(query.scope.patientIds);
      where.push(`p.id = ANY($${params.length}::uuid[])`);
    }
    if (query.scope.viewer?.role === 'app' && def.forApps) where.push(def.forApps);
    if (query.rid !== undefined) {
      const found = idCondition(def, query.rid, params);
      if (found === null) return [];
      where.push(found);
    }
    if (query.externalRef !== undefined) {
      params.push(query.externalRef);
      where.push(`p.external_ref = $${params.length}`);
    }
    if (query.since) {
      params.push(query.since);
      where.push(`${def.changed} >= $${params.length}`);
    }
    if (query.status && def.status) where.push(def.status[query.status]);
    for (const bound of query.dates ?? []) {
      params.push(bound.value);
      if (DATE_ONLY.test(bound.value)) {
        if (!def.day) continue;
        where.push(`${def.day} ${SQL_OP[bound.op]} $${params.length}::date`);
      } else {
        where.push(`${def.at} ${SQL_OP[bound.op]} $${params.length}::timestamptz`);
      }
    }
    const order = query.descending ? 'DESC' : 'ASC';
    if (query.after) {
      params.push(query.after.patientId, query.after.at, query.after.rid);
      const n = params.length;
      where.push(
        `(p.id, ${def.at}, (${def.rid}) COLLATE "C") ${query.descending ? '<' : '>'} ($${n - 2}::uuid, $${n - 1}::timestamptz, $${n}::text COLLATE "C")`,
      );
    }
    params.push(query.limit);
    const sql = `SELECT ${def.columns}, p.id AS "kPatient", ${iso(def.at)} AS "kAt", ${def.rid} AS "kRid"
      FROM ${def.from}
      WHERE true ${visible} ${where.map((w) => `AND ${w}`).join(' ')}
      ORDER BY p.id ${order}, ${def.at} ${order}, (${def.rid}) COLLATE "C" ${order}
      LIMIT $${params.length}`;
    const rows = await reader((m) => queryRows<FhirSourceRows[S] & RawKey>(m, sql, params));
    return rows.map(({ kPatient, kAt, kRid, ...row }) => ({
      ...(row as unknown as FhirSourceRows[S]),
      key: { patientId: kPatient, at: kAt, rid: kRid },
    }));
  }

  /** One row of a source by its FHIR id, if the viewer sees its patient. */
  async byId<S extends FhirSource>(
    source: S,
    viewer: Viewer,
    rid: string,
  ): Promise<Keyed<FhirSourceRows[S]> | null> {
    const [row] = await this.page(source, { scope: { viewer }, rid, limit: 1 });
    return row ?? null;
  }

  /**
   * The patient a FHIR id's row belongs to, whoever may see it: only for the audit row of a
   * read the caller was refused (a denial names the patient, as /v1's do). Never answered.
   */
  async ownerOf(source: FhirSource, rid: string): Promise<string | null> {
    const [row] = await this.page(source, { scope: { viewer: null }, rid, limit: 1 });
    return row?.key.patientId ?? null;
  }

  /**
   * The ids of the patients an export covers, after `after`, in id order: the viewer's, within
   * a clinician's panel for such a group.
   */
  async exportPatients(
    viewer: Viewer,
    clinicianId: string | null,
    after: string | null,
    limit: number,
    reader: Reader = this.replica,
  ): Promise<string[]> {
    const params: unknown[] = [];
    const visible = visibleSql(viewer, params);
    let extra = '';
    if (clinicianId) {
      params.push(clinicianId);
      extra += ` AND p.clinician_id = $${params.length}`;
    }
    if (after) {
      params.push(after);
      extra += ` AND p.id > $${params.length}`;
    }
    params.push(limit);
    const rows = await reader((m) =>
      queryRows<{ id: string }>(
        m,
        `SELECT p.id FROM patients p WHERE true ${visible}${extra} ORDER BY p.id LIMIT $${params.length}`,
        params,
      ),
    );
    return rows.map((r) => r.id);
  }

  /** How many patients an export covers (its progress denominator). */
  async countExportPatients(viewer: Viewer, clinicianId: string | null): Promise<number> {
    const params: unknown[] = [];
    const visible = visibleSql(viewer, params);
    let extra = '';
    if (clinicianId) {
      params.push(clinicianId);
      extra = ` AND p.clinician_id = $${params.length}`;
    }
    const [row] = await this.replica((m) =>
      queryRows<{ n: number }>(
        m,
        `SELECT count(*)::int AS n FROM patients p WHERE true ${visible}${extra}`,
        params,
      ),
    );
    return row.n;
  }

  /** A clinician of the organization (a Group of their panel), if it exists. */
  async clinician(
    organizationId: string,
    clinicianId: string,
  ): Promise<{ id: string; name: string; patients: number } | null> {
    const [row] = await this.replica((m) =>
      queryRows<{ id: string; name: string; patients: number }>(
        m,
        `SELECT c.id, c.name,
         (SELECT count(*)::int FROM patients p WHERE p.organization_id = c.organization_id AND p.clinician_id = c.id) AS patients
       FROM clinicians c WHERE c.organization_id = $1 AND c.id = $2`,
        [organizationId, clinicianId],
      ),
    );
    return row ?? null;
  }

  /** The organization (a Group of all its patients), if it exists. */
  async organization(
    organizationId: string,
  ): Promise<{ id: string; name: string; patients: number } | null> {
    const [row] = await this.replica((m) =>
      queryRows<{ id: string; name: string; patients: number }>(
        m,
        `SELECT o.id, o.name,
         (SELECT count(*)::int FROM patients p WHERE p.organization_id = o.id) AS patients
       FROM organizations o WHERE o.id = $1`,
        [organizationId],
      ),
    );
    return row ?? null;
  }
}
