import { Injectable } from '@nestjs/common';
import { Db, prepared, queryRows, runPrepared, type Tx } from '../db.service';
import { AuditLogEntry } from '../entities';

export type NewAuditEntry = Pick<
  AuditLogEntry,
  | 'occurredAt'
  | 'organizationId'
  | 'apiKeyId'
  | 'actorRole'
  | 'action'
  | 'patientId'
  | 'resourceId'
  | 'outcome'
  | 'status'
  | 'requestId'
>;

/** Tables whose rows belong to one patient: a route naming such a row is audited under its patient. */
export const PATIENT_OWNED_TABLES = [
  'programs',
  'activity_imports',
  'alerts',
  'care_time_entries',
  'rtm_episodes',
  'wearable_connections',
] as const;
export type PatientOwnedTable = (typeof PATIENT_OWNED_TABLES)[number];

const INSERT_ENTRIES = prepared(`
  INSERT INTO audit_log (occurred_at, organization_id, api_key_id, actor_role, action, patient_id, resource_id,
                         outcome, status, request_id)
  SELECT * FROM unnest($1::timestamptz[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::uuid[],
                       $8::text[], $9::int[], $10::text[])`);

interface Waiting {
  entry: NewAuditEntry;
  written: () => void;
  failed: (err: unknown) => void;
}

/**
 * The append-only audit log: who read or wrote which patient's data, when, with what outcome.
 * A request awaits its row before its answer leaves. Rows are written in groups: while one
 * insert is on its way, the rows of the requests that end meanwhile wait and go together in the
 * next (one statement for many requests under load, no added wait when idle).
 */
@Injectable()
export class AuditRepository {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly db: Db) {}

  /**
   * Writes one entry in `tx`: it commits with what it records, or not at all (an erasure, whose
   * record must not be lost once the data is gone). Static, like OutboxRepository.write.
   */
  static async writeIn(tx: Tx, entry: NewAuditEntry): Promise<void> {
    await runPrepared(tx, INSERT_ENTRIES, [
      [entry.occurredAt],
      [entry.organizationId],
      [entry.apiKeyId],
      [entry.actorRole],
      [entry.action],
      [entry.patientId],
      [entry.resourceId],
      [entry.outcome],
      [entry.status],
      [entry.requestId],
    ]);
  }

  /** Whether the organization erased this patient (its `action` row succeeded). */
  async erased(organizationId: string, patientId: string, action: string): Promise<boolean> {
    const rows = await queryRows(
      this.db.current,
      `SELECT 1 FROM audit_log
       WHERE organization_id = $1 AND patient_id = $2 AND action = $3 AND outcome = 'success' LIMIT 1`,
      [organizationId, patientId, action],
    );
    return rows.length > 0;
  }

  record(entry: NewAuditEntry): Promise<void> {
    return new Promise((written, failed) => {
      this.waiting.push({ entry, written, failed });
      if (!this.writing) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0);
        const e = group.map((w) => w.entry);
        try {
          // Never in a request's transaction: the log records what was rolled back too.
          await runPrepared(this.db.pool, INSERT_ENTRIES, [
            e.map((x) => x.occurredAt),
            e.map((x) => x.organizationId),
            e.map((x) => x.apiKeyId),
            e.map((x) => x.actorRole),
            e.map((x) => x.action),
            e.map((x) => x.patientId),
            e.map((x) => x.resourceId),
            e.map((x) => x.outcome),
            e.map((x) => x.status),
            e.map((x) => x.requestId),
          ]);
          group.forEach((w) => w.written());
        } catch (err) {
          group.forEach((w) => w.failed(err));
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** The patient of a record, or null when there is none. */
  async patientOf(table: PatientOwnedTable, id: string): Promise<string | null> {
    // The table name comes from a route's own decorator, never from the request: still checked.
    if (!PATIENT_OWNED_TABLES.includes(table)) throw new Error(`no patient lookup in ${table}`);
    const [row] = await this.db.current.query<{ patient_id: string }[]>(
      `SELECT patient_id FROM ${table} WHERE id = $1`,
      [id],
    );
    return row?.patient_id ?? null;
  }
}
