import {
  addDays,
  type CareTimeEntry,
  type CareTimeKind,
  type LocalDay,
  type RtmDataDayKind,
  type RtmEpisode,
} from '@app/domain';
import { Injectable } from '@nestjs/common';
import { Db, type Executor, type Tx } from '../db.service';
import { CareTimeEntryRow, RtmEpisodeRow } from '../entities';

export interface NewCareTime {
  id: string;
  organizationId: string;
  patientId: string;
  clinicianId: string;
  startedAt: Date;
  timezone: string;
  minutes: number;
  interactive: boolean;
  kind: CareTimeKind;
  note: string | null;
  createdByKeyId: string | null;
}

/** What the claims of an organization's month read, for every patient monitored in it. */
export interface RtmMonthInputs {
  patients: {
    patientId: string;
    externalRef: string;
    timezone: string;
    clinicianId: string | null;
  }[];
  episodes: Map<string, RtmEpisode[]>;
  dataDays: Map<string, LocalDay[]>;
  careTime: Map<string, CareTimeEntry[]>;
}

/** Which records make a data day: any record or sample, or exercise sessions only. */
export type DataDayKind = RtmDataDayKind;

const EPISODE_COLUMNS = `id, organization_id AS "organizationId", patient_id AS "patientId",
  start_date::text AS "startDate", end_date::text AS "endDate", created_by_key_id AS "createdByKeyId",
  created_at AS "createdAt", ended_at AS "endedAt", ended_by_key_id AS "endedByKeyId"`;

const CARE_TIME_COLUMNS = `id, organization_id AS "organizationId", patient_id AS "patientId",
  clinician_id AS "clinicianId", started_at AS "startedAt", local_date::text AS "localDate", minutes,
  interactive, kind, note, created_by_key_id AS "createdByKeyId", created_at AS "createdAt",
  voided_at AS "voidedAt", void_reason AS "voidReason", voided_by_key_id AS "voidedByKeyId"`;

/** With the change: the worker updates the patient's worklist entry within seconds. */
const MARK = `mark AS (INSERT INTO adherence_dirty (organization_id, patient_id) SELECT organization_id, patient_id FROM e)`;

/**
 * The local days with data of the patients of `$1` (organization) `$2` (patient ids) between
 * `$3` and `$4`: sessions, and unless only exercise counts, pain reports, questionnaires and
 * daily activity (a day with 0 steps reported is a day with data).
 */
function dataDaysSql(kind: DataDayKind): string {
  const range = `organization_id = $1 AND patient_id = ANY($2::uuid[]) AND local_date BETWEEN $3::date AND $4::date`;
  const parts = [`SELECT patient_id, local_date FROM sessions WHERE ${range}`];
  if (kind === 'any') {
    parts.push(
      `SELECT patient_id, local_date FROM pain_reports WHERE ${range}`,
      `SELECT patient_id, local_date FROM questionnaires WHERE ${range}`,
      `SELECT patient_id, local_date FROM activity_daily WHERE ${range}`,
    );
  }
  return `SELECT patient_id, array_agg(DISTINCT local_date::text ORDER BY local_date::text) AS days
          FROM (${parts.join(' UNION ALL ')}) d GROUP BY patient_id`;
}

function careTimeOf(row: CareTimeEntryRow): CareTimeEntry {
  return {
    id: row.id,
    clinicianId: row.clinicianId,
    startedAt: new Date(row.startedAt),
    minutes: row.minutes,
    interactive: row.interactive,
    kind: row.kind,
    voided: row.voidedAt !== null,
    localDate: row.localDate,
  };
}

function byPatient<T>(rows: readonly (T & { patientId: string })[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const list = out.get(row.patientId);
    if (list) list.push(row);
    else out.set(row.patientId, [row]);
  }
  return out;
}

/** Remote therapeutic monitoring: episodes, the care-time log, and the data days they count. */
@Injectable()
export class RtmRepository {
  constructor(private readonly db: Db) {}

  /**
   * Starts an episode on `startDate`, unless the patient (locked by the caller) has one open or
   * one that ends on or after it: then the episode in the way.
   */
  async startEpisode(
    tx: Tx,
    row: Pick<
      RtmEpisodeRow,
      'id' | 'organizationId' | 'patientId' | 'startDate' | 'createdByKeyId'
    >,
  ): Promise<{ created: RtmEpisodeRow } | { conflict: RtmEpisodeRow }> {
    const [conflict] = await tx.query<RtmEpisodeRow[]>(
      `SELECT ${EPISODE_COLUMNS} FROM rtm_episodes
        WHERE organization_id = $1 AND patient_id = $2 AND (end_date IS NULL OR end_date >= $3::date)
        ORDER BY start_date DESC LIMIT 1`,
      [row.organizationId, row.patientId, row.startDate],
    );
    if (conflict) return { conflict };
    const [created] = await tx.query<RtmEpisodeRow[]>(
      `WITH e AS (
         INSERT INTO rtm_episodes (id, organization_id, patient_id, start_date, created_by_key_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING *
       ), ${MARK} SELECT ${EPISODE_COLUMNS} FROM e`,
      [row.id, row.organizationId, row.patientId, row.startDate, row.createdByKeyId],
    );
    return { created };
  }

  /** An episode of the organization, locked until `tx` ends. */
  async lockEpisode(tx: Tx, organizationId: string, id: string): Promise<RtmEpisodeRow | null> {
    const [row] = await tx.query<RtmEpisodeRow[]>(
      `SELECT ${EPISODE_COLUMNS} FROM rtm_episodes WHERE organization_id = $1 AND id = $2 FOR UPDATE`,
      [organizationId, id],
    );
    return row ?? null;
  }

  async endEpisode(
    tx: Tx,
    organizationId: string,
    id: string,
    endDate: LocalDay,
    keyId: string | null,
  ): Promise<RtmEpisodeRow> {
    const [row] = await tx.query<RtmEpisodeRow[]>(
      `WITH e AS (
         UPDATE rtm_episodes SET end_date = $3, ended_at = now(), ended_by_key_id = $4
          WHERE organization_id = $1 AND id = $2 RETURNING *
       ), ${MARK} SELECT ${EPISODE_COLUMNS} FROM e`,
      [organizationId, id, endDate, keyId],
    );
    return row;
  }

  /** Whether an entry or episode of any organization has this id (for the audit's outcome). */
  async exists(table: 'care_time_entries' | 'rtm_episodes', id: string): Promise<boolean> {
    const rows = await this.db.current.query<unknown[]>(
      table === 'rtm_episodes'
        ? 'SELECT 1 FROM rtm_episodes WHERE id = $1'
        : 'SELECT 1 FROM care_time_entries WHERE id = $1',
      [id],
    );
    return rows.length > 0;
  }

  /** A patient's episodes, oldest first. */
  episodesOf(organizationId: string, patientId: string): Promise<RtmEpisodeRow[]> {
    return this.db.current.query<RtmEpisodeRow[]>(
      `SELECT ${EPISODE_COLUMNS} FROM rtm_episodes WHERE organization_id = $1 AND patient_id = $2
        ORDER BY start_date, id`,
      [organizationId, patientId],
    );
  }

  /** Writes a care-time entry; its local date is the patient's (`timezone`). */
  async addCareTime(on: Executor, e: NewCareTime): Promise<CareTimeEntryRow> {
    const [row] = await on.query<CareTimeEntryRow[]>(
      `WITH e AS (
         INSERT INTO care_time_entries (id, organization_id, patient_id, clinician_id, started_at, local_date,
                                        minutes, interactive, kind, note, created_by_key_id)
         VALUES ($1, $2, $3, $4, $5, ($5::timestamptz AT TIME ZONE $6)::date, $7, $8, $9, $10, $11)
         RETURNING *
       ), ${MARK} SELECT ${CARE_TIME_COLUMNS} FROM e`,
      [
        e.id,
        e.organizationId,
        e.patientId,
        e.clinicianId,
        e.startedAt,
        e.timezone,
        e.minutes,
        e.interactive,
        e.kind,
        e.note,
        e.createdByKeyId,
      ],
    );
    return row;
  }

  /** A care-time entry of the organization, locked until `tx` ends. */
  async lockCareTime(tx: Tx, organizationId: string, id: string): Promise<CareTimeEntryRow | null> {
    const [row] = await tx.query<CareTimeEntryRow[]>(
      `SELECT ${CARE_TIME_COLUMNS} FROM care_time_entries WHERE organization_id = $1 AND id = $2 FOR UPDATE`,
      [organizationId, id],
    );
    return row ?? null;
  }

  async voidCareTime(
    tx: Tx,
    organizationId: string,
    id: string,
    reason: string,
    keyId: string | null,
  ): Promise<CareTimeEntryRow> {
    const [row] = await tx.query<CareTimeEntryRow[]>(
      `WITH e AS (
         UPDATE care_time_entries SET voided_at = now(), void_reason = $3, voided_by_key_id = $4
          WHERE organization_id = $1 AND id = $2 RETURNING *
       ), ${MARK} SELECT ${CARE_TIME_COLUMNS} FROM e`,
      [organizationId, id, reason, keyId],
    );
    return row;
  }

  /** A patient's care-time entries of local days `from`–`to`, voided ones included, in time order. */
  careTimeOf(
    organizationId: string,
    patientId: string,
    from: LocalDay,
    to: LocalDay,
  ): Promise<CareTimeEntryRow[]> {
    return this.db.current.query<CareTimeEntryRow[]>(
      `SELECT ${CARE_TIME_COLUMNS} FROM care_time_entries
        WHERE organization_id = $1 AND patient_id = $2 AND local_date BETWEEN $3::date AND $4::date
        ORDER BY started_at, id`,
      [organizationId, patientId, from, to],
    );
  }

  /** The data days of some patients of one organization between two local days. */
  async dataDays(
    on: Executor,
    organizationId: string,
    patientIds: readonly string[],
    from: LocalDay,
    to: LocalDay,
    kind: DataDayKind,
  ): Promise<Map<string, LocalDay[]>> {
    if (patientIds.length === 0) return new Map();
    const rows = await on.query<{ patient_id: string; days: LocalDay[] }[]>(dataDaysSql(kind), [
      organizationId,
      patientIds,
      from,
      to,
    ]);
    return new Map(rows.map((r) => [r.patient_id, r.days]));
  }

  /**
   * Everything the ledgers of an organization's month need, for its patients with an episode
   * overlapping the month (or only `patientId`); see ledgerInputs.
   */
  monthInputs(
    organizationId: string,
    month: { first: LocalDay; last: LocalDay },
    kind: DataDayKind,
    patientId: string | null = null,
  ): Promise<RtmMonthInputs> {
    return this.ledgerInputs(
      this.db.current,
      organizationId,
      patientId === null ? null : [patientId],
      month,
      kind,
    );
  }

  /**
   * What RTM ledgers of the local days `range` read, for the patients given (null: every patient
   * of the organization) that have an episode overlapping it: those episodes, the data days of
   * every device period that overlaps the range (up to 29 days either side of it), and the care
   * time of the range. Four statements, whatever the number of patients.
   */
  async ledgerInputs(
    on: Executor,
    organizationId: string,
    patientIds: readonly string[] | null,
    range: { first: LocalDay; last: LocalDay },
    kind: DataDayKind,
  ): Promise<RtmMonthInputs> {
    const episodes = await on.query<(RtmEpisode & { patientId: string })[]>(
      `SELECT e.id, e.patient_id AS "patientId", e.start_date::text AS "startDate", e.end_date::text AS "endDate"
         FROM rtm_episodes e
        WHERE e.organization_id = $1 AND ($4::uuid[] IS NULL OR e.patient_id = ANY($4::uuid[]))
          AND e.start_date <= $3::date AND (e.end_date IS NULL OR e.end_date >= $2::date)
        ORDER BY e.patient_id, e.start_date`,
      [organizationId, range.first, range.last, patientIds],
    );
    const byPatientEpisodes = byPatient(episodes);
    const ids = [...byPatientEpisodes.keys()];
    if (ids.length === 0) {
      return { patients: [], episodes: new Map(), dataDays: new Map(), careTime: new Map() };
    }
    // One at a time: on a transaction's single connection statements cannot overlap.
    const patients = await on.query<RtmMonthInputs['patients']>(
      `SELECT id AS "patientId", external_ref AS "externalRef", timezone, clinician_id AS "clinicianId"
         FROM patients
        WHERE organization_id = $1 AND id = ANY($2::uuid[]) ORDER BY id`,
      [organizationId, ids],
    );
    const dataDays = await this.dataDays(
      on,
      organizationId,
      ids,
      addDays(range.first, -29),
      addDays(range.last, 29),
      kind,
    );
    const careTime = await on.query<CareTimeEntryRow[]>(
      `SELECT ${CARE_TIME_COLUMNS} FROM care_time_entries
        WHERE organization_id = $1 AND patient_id = ANY($2::uuid[]) AND local_date BETWEEN $3::date AND $4::date
        ORDER BY patient_id, started_at, id`,
      [organizationId, ids, range.first, range.last],
    );
    return {
      patients,
      episodes: new Map(
        [...byPatientEpisodes].map(([id, list]) => [
          id,
          list.map((e) => ({ id: e.id, startDate: e.startDate, endDate: e.endDate })),
        ]),
      ),
      dataDays,
      careTime: new Map([...byPatient(careTime)].map(([id, rows]) => [id, rows.map(careTimeOf)])),
    };
  }
}

export { careTimeOf };
