import { Injectable } from '@nestjs/common';
import { Db } from '../db.service';
import { AuditLogEntry } from '../entities';

export type NewAuditEntry = Pick<
  AuditLogEntry,
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
export const PATIENT_OWNED_TABLES = ['programs', 'activity_imports', 'alerts'] as const;
export type PatientOwnedTable = (typeof PATIENT_OWNED_TABLES)[number];

/** The append-only audit log: who read or wrote which patient's data, when, with what outcome. */
@Injectable()
export class AuditRepository {
  constructor(private readonly db: Db) {}

  async record(entry: NewAuditEntry): Promise<void> {
    await this.db.current.getRepository(AuditLogEntry).insert(entry);
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
