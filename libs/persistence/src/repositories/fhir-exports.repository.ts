import type { Role } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Db, queryRows, type Executor, type Tx } from '../db.service';
import type { Viewer } from './patients.repository';

export type FhirExportStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface FhirExport {
  id: string;
  organizationId: string;
  apiKeyId: string;
  viewer: Viewer;
  groupKind: 'organization' | 'clinician' | null;
  groupId: string | null;
  types: string[];
  sources: string[];
  since: Date | null;
  requestUrl: string;
  status: FhirExportStatus;
  transactionTime: Date;
  patientsTotal: number | null;
  patientsDone: number;
  afterPatientId: string | null;
  error: string | null;
  createdAt: Date;
  completedAt: Date | null;
  expiresAt: Date;
}

export type NewFhirExport = Pick<
  FhirExport,
  | 'organizationId'
  | 'apiKeyId'
  | 'viewer'
  | 'groupKind'
  | 'groupId'
  | 'types'
  | 'sources'
  | 'since'
  | 'requestUrl'
>;

/** An export as its organization's: the key of the export and of its files' chunks. */
export type ExportRef = Pick<FhirExport, 'id' | 'organizationId'>;

/** One output file of a finished export: its type and how many resources it holds. */
export interface FhirExportFile {
  type: string;
  resources: number;
}

/** One chunk of NDJSON the worker writes for a type, with its count of resources. */
export interface FhirExportChunk {
  type: string;
  resources: number;
  data: string;
}

const COLUMNS = `id, organization_id AS "organizationId", api_key_id AS "apiKeyId",
  viewer_role AS "viewerRole", viewer_clinician_id AS "viewerClinicianId",
  viewer_client_app_id AS "viewerClientAppId", group_kind AS "groupKind", group_id AS "groupId",
  types, sources, since, request_url AS "requestUrl", status, transaction_time AS "transactionTime",
  patients_total AS "patientsTotal", patients_done AS "patientsDone",
  after_patient_id AS "afterPatientId", error, created_at AS "createdAt",
  completed_at AS "completedAt", expires_at AS "expiresAt"`;

type Row = Omit<FhirExport, 'viewer'> & {
  viewerRole: Role;
  viewerClinicianId: string | null;
  viewerClientAppId: string | null;
};

function fromRow({ viewerRole, viewerClinicianId, viewerClientAppId, ...row }: Row): FhirExport {
  return {
    ...row,
    viewer: {
      organizationId: row.organizationId,
      role: viewerRole,
      clinicianId: viewerClinicianId,
      clientAppId: viewerClientAppId,
    },
  };
}

/** Bulk Data exports: their requests, progress and NDJSON chunks (see the FhirExports migration). */
@Injectable()
export class FhirExportsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Records a kick-off unless the organization already has `maxActive` unfinished exports
   * (null then). Kick-offs of one organization take turns on a transaction lock, so two at once
   * cannot both pass the count.
   */
  async create(
    request: NewFhirExport,
    maxActive: number,
    lifetimeMs: number,
  ): Promise<FhirExport | null> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('fhir-export:' || $1, 0))`, [
        request.organizationId,
      ]);
      const [{ n }] = await queryRows<{ n: number }>(
        tx,
        `SELECT count(*)::int AS n FROM fhir_exports
         WHERE organization_id = $1 AND status IN ('queued', 'running') AND expires_at > now()`,
        [request.organizationId],
      );
      if (n >= maxActive) return null;
      const [row] = await queryRows<Row>(
        tx,
        `INSERT INTO fhir_exports (id, organization_id, api_key_id, viewer_role, viewer_clinician_id,
           viewer_client_app_id, group_kind, group_id, types, sources, since, request_url, transaction_time, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                 -- As of the oldest transaction still open: a write under way now commits with
                 -- an earlier time than the kick-off's, and an export _since this time must
                 -- still see it (it may appear in this export too).
                 (SELECT least(now(), min(xact_start)) FROM pg_stat_activity
                  WHERE datname = current_database() AND xact_start IS NOT NULL),
                 now() + $13 * interval '1 millisecond')
         RETURNING ${COLUMNS}`,
        [
          randomUUID(),
          request.organizationId,
          request.apiKeyId,
          request.viewer.role,
          request.viewer.clinicianId,
          request.viewer.clientAppId,
          request.groupKind,
          request.groupId,
          request.types,
          request.sources,
          request.since,
          request.requestUrl,
          lifetimeMs,
        ],
      );
      return fromRow(row);
    });
  }

  /** An export that has not expired, by id, if `apiKeyId` requested it (any key when null). */
  async find(id: string, apiKeyId: string | null, on: Executor = this.db.current) {
    const params: unknown[] = [id];
    let byKey = '';
    if (apiKeyId) {
      params.push(apiKeyId);
      byKey = 'AND api_key_id = $2';
    }
    const [row] = await queryRows<Row>(
      on,
      `SELECT ${COLUMNS} FROM fhir_exports WHERE id = $1 ${byKey} AND expires_at > now()`,
      params,
    );
    return row ? fromRow(row) : null;
  }

  /** The output files of an export: one per type that has resources, with their counts. */
  async files(exp: ExportRef): Promise<FhirExportFile[]> {
    return queryRows<FhirExportFile>(
      this.db.current,
      `SELECT resource_type AS type, sum(resources)::int AS resources
       FROM fhir_export_chunks WHERE organization_id = $1 AND export_id = $2
       GROUP BY resource_type ORDER BY resource_type`,
      [exp.organizationId, exp.id],
    );
  }

  /** The chunks of one file in order, a few at a time (`after` = the last seq read). */
  async chunks(
    exp: ExportRef,
    type: string,
    after: number,
    limit: number,
  ): Promise<{ seq: number; data: string }[]> {
    return queryRows<{ seq: number; data: string }>(
      this.db.current,
      `SELECT seq, data FROM fhir_export_chunks
       WHERE organization_id = $1 AND export_id = $2 AND resource_type = $3 AND seq > $4
       ORDER BY seq LIMIT $5`,
      [exp.organizationId, exp.id, type, after, limit],
    );
  }

  /** Cancels an export (the Bulk Data DELETE): its row and files go; a running job stops. */
  async delete(id: string, apiKeyId: string): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.db.current,
      `DELETE FROM fhir_exports WHERE id = $1 AND api_key_id = $2 AND expires_at > now() RETURNING id`,
      [id, apiKeyId],
    );
    return rows.length > 0;
  }

  /**
   * Takes an export to run: a queued one starts (its patient count fixed), a running one goes on
   * from its committed progress (a crashed worker's). Null when it is gone, done or expired.
   */
  async start(id: string, patientsTotal: () => Promise<number>): Promise<FhirExport | null> {
    return this.db.transaction(async (tx) => {
      const [row] = await queryRows<Row>(
        tx,
        `SELECT ${COLUMNS} FROM fhir_exports
         WHERE id = $1 AND status IN ('queued', 'running') AND expires_at > now() FOR UPDATE`,
        [id],
      );
      if (!row) return null;
      if (row.status === 'queued') {
        const total = await patientsTotal();
        const [started] = await queryRows<Row>(
          tx,
          `UPDATE fhir_exports SET status = 'running', patients_total = $2, updated_at = now()
           WHERE id = $1 RETURNING ${COLUMNS}`,
          [id, total],
        );
        return fromRow(started);
      }
      return fromRow(row);
    });
  }

  /**
   * Moves an export's progress past a batch of patients, in the batch's transaction (its chunks
   * are written in the same one), if it is still `previous` (the patient the batch starts after).
   * False when the export was cancelled or expired meanwhile, or another runner took this batch
   * (a job queued again by the sweep while a slow one still ran): the batch must roll back. The
   * row stays locked until the batch commits, so a second runner waits, then finds it moved.
   */
  async advance(
    tx: Tx,
    exportId: string,
    previous: string | null,
    lastPatientId: string,
    patients: number,
  ): Promise<boolean> {
    const [moved] = await queryRows<{ id: string }>(
      tx,
      `UPDATE fhir_exports SET after_patient_id = $2, patients_done = patients_done + $3, updated_at = now()
       WHERE id = $1 AND status = 'running' AND expires_at > now()
         AND after_patient_id IS NOT DISTINCT FROM $4::uuid
       RETURNING id`,
      [exportId, lastPatientId, patients, previous],
    );
    return moved !== undefined;
  }

  /** Appends a chunk to one of an export's files (in the transaction of its batch). */
  async appendChunk(tx: Tx, exp: ExportRef, chunk: FhirExportChunk): Promise<void> {
    await tx.query(
      `INSERT INTO fhir_export_chunks (organization_id, export_id, resource_type, seq, resources, data)
       VALUES ($1, $2, $3, coalesce((SELECT max(seq) FROM fhir_export_chunks
                                     WHERE organization_id = $1 AND export_id = $2 AND resource_type = $3), 0) + 1,
               $4, $5)`,
      [exp.organizationId, exp.id, chunk.type, chunk.resources, chunk.data],
    );
  }

  /** Marks an export done (its files then live `lifetimeMs`) or failed. */
  async finish(id: string, error: string | null, lifetimeMs: number): Promise<void> {
    await this.db.current.query(
      `UPDATE fhir_exports SET status = $2, error = $3, completed_at = now(), updated_at = now(),
         expires_at = now() + $4 * interval '1 millisecond'
       WHERE id = $1 AND status IN ('queued', 'running')`,
      [id, error ? 'failed' : 'completed', error, lifetimeMs],
    );
  }

  /**
   * Exports waiting or running that have not moved for `idleMs`: their job was lost (Redis away
   * at the kick-off) or its worker died; the sweep queues them again.
   */
  async unfinished(idleMs: number, limit: number): Promise<{ id: string; requeues: number }[]> {
    return queryRows<{ id: string; requeues: number }>(
      this.db.current,
      `SELECT id, requeues FROM fhir_exports WHERE status IN ('queued', 'running') AND expires_at > now()
       AND updated_at < now() - $2 * interval '1 millisecond' ORDER BY created_at LIMIT $1`,
      [limit, idleMs],
    );
  }

  /**
   * Counts a re-queue of an export whose job is gone, if it is still the `seen`-th: answers the
   * new count (the job id's suffix), or null when another sweep counted it first or it was
   * queued `max` times already (then it should fail, not be queued again).
   */
  async requeue(id: string, seen: number, max: number): Promise<number | null> {
    const [row] = await queryRows<{ requeues: number }>(
      this.db.current,
      `UPDATE fhir_exports SET requeues = requeues + 1, updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'running') AND requeues = $2 AND requeues < $3
       RETURNING requeues`,
      [id, seen, max],
    );
    return row?.requeues ?? null;
  }

  /** Deletes expired exports and their files; answers how many went. */
  async deleteExpired(limit: number): Promise<number> {
    const rows = await queryRows<{ id: string }>(
      this.db.current,
      `DELETE FROM fhir_exports WHERE id IN (
         SELECT id FROM fhir_exports WHERE expires_at <= now() ORDER BY expires_at LIMIT $1)
       RETURNING id`,
      [limit],
    );
    return rows.length;
  }
}
