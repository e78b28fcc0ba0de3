import { Injectable } from '@nestjs/common';
import { Db, queryRows, type Tx } from '../db.service';
import { sqlState } from '../sql-errors';
import { AuditRepository, type NewAuditEntry } from './audit.repository';
import type { WearableProvider } from './connections.repository';

/**
 * One statement of an erasure: `$1` is the organization, `$2` the patient. Statements name the
 * patient by `(organization_id, patient_id)` wherever the table has them, and reach child
 * tables through their parent's, so that they hold whatever the keys and partitions become.
 */
interface ErasureStep {
  /** The table whose rows about the patient the statement removes (or scrubs). */
  table: string;
  sql: string;
  /** What the statement's `RETURNING id` rows are, when they matter after the commit. */
  returns?: 'imports' | 'events' | 'deliveries' | 'exports';
  /** A statement that must find nothing once the others ran (rows removed by a cascade). */
  check?: true;
}

const byPatient = (table: string): ErasureStep => ({
  table,
  sql: `DELETE FROM ${table} WHERE organization_id = $1 AND patient_id = $2::uuid`,
});

/** Why an export loses its files when one of its patients is erased (its `error`). */
export const EXPORT_ERASED_ERROR =
  'a patient whose data the export held was erased; start a new export';

/**
 * Erasing a patient, statement by statement, in one transaction after the patient's row is
 * locked (see PatientErasureRepository.erase). The order matters where a table holds no key of
 * the patient: what another transaction was writing about the patient while the erasure waited
 * for its locks is committed by the time the statements that find rows by content run, last.
 */
const STEPS: readonly ErasureStep[] = [
  // Wearable clouds: the OAuth states (PKCE verifiers) and the connections with their tokens.
  {
    table: 'oauth_states',
    sql: `DELETE FROM oauth_states s USING wearable_connections c
          WHERE c.id = s.connection_id AND c.organization_id = $1 AND c.patient_id = $2::uuid`,
  },
  byPatient('wearable_connections'),
  // Imports: the raw payloads first (chunks of an import not yet processed), then the imports.
  {
    table: 'activity_import_chunks',
    sql: `DELETE FROM activity_import_chunks k USING activity_imports i
          WHERE i.id = k.import_id AND i.organization_id = $1 AND i.patient_id = $2::uuid`,
  },
  {
    table: 'activity_imports',
    sql: `DELETE FROM activity_imports WHERE organization_id = $1 AND patient_id = $2::uuid RETURNING id`,
    returns: 'imports',
  },
  byPatient('activity_samples'),
  byPatient('activity_daily'),
  byPatient('activity_sources'),
  byPatient('activity_dirty_days'),
  // Records: alerts point at findings, findings at pain reports and questionnaires, pain reports
  // at sessions.
  byPatient('alerts'),
  byPatient('findings'),
  byPatient('pain_reports'),
  byPatient('sessions'),
  byPatient('questionnaires'),
  {
    table: 'program_holds',
    sql: `DELETE FROM program_holds h USING programs p
          WHERE p.organization_id = h.organization_id AND p.id = h.program_id
            AND p.organization_id = $1 AND p.patient_id = $2::uuid`,
  },
  {
    table: 'program_items',
    sql: `DELETE FROM program_items i USING programs p
          WHERE p.organization_id = i.organization_id AND p.id = i.program_id
            AND p.organization_id = $1 AND p.patient_id = $2::uuid`,
  },
  byPatient('programs'),
  byPatient('enrollments'),
  byPatient('rtm_episodes'),
  byPatient('worklist_entries'),
  byPatient('adherence_weeks'),
  byPatient('patient_progress'),
  byPatient('adherence_dirty'),
  {
    table: 'patients',
    sql: `DELETE FROM patients WHERE organization_id = $1 AND id = $2::uuid`,
  },
  // The care-time log is append-only: the service's role may not DELETE from it at all. Its
  // rows go with their patient's (ON DELETE CASCADE, which runs as the table's owner); this
  // checks that they did.
  {
    table: 'care_time_entries',
    sql: `SELECT 1 FROM care_time_entries WHERE organization_id = $1 AND patient_id = $2::uuid LIMIT 1`,
    check: true,
  },
  // Rows that name the patient in their content. The outbox before the deliveries: a fan-out
  // holds its event's row while it writes the deliveries, so once the event is deleted no
  // delivery of it is still on its way.
  {
    table: 'outbox',
    sql: `DELETE FROM outbox WHERE organization_id = $1 AND strpos(payload::text, $2::uuid::text) > 0
          RETURNING id`,
    returns: 'events',
  },
  {
    table: 'webhook_deliveries',
    sql: `DELETE FROM webhook_deliveries WHERE organization_id = $1 AND strpos(body, $2::uuid::text) > 0
          RETURNING id`,
    returns: 'deliveries',
  },
  // Bulk Data exports. Those waiting or running stay locked until the commit: one that has not
  // started starts afterwards without the patient; a batch being written commits before this
  // lock is granted and is then found below.
  {
    table: 'fhir_exports',
    sql: `SELECT id FROM fhir_exports WHERE organization_id = $1 AND status IN ('queued', 'running')
          FOR UPDATE`,
  },
  // An export whose files hold the patient (or that is running: its next batch may have read
  // the patient before the erasure) fails and its files go; its client is told why and starts
  // again. The others (another clinician's panel, not yet started) are left as they are.
  {
    table: 'fhir_export_chunks',
    sql: `WITH affected AS (
            UPDATE fhir_exports e SET status = 'failed', error = '${EXPORT_ERASED_ERROR}',
              after_patient_id = NULL, completed_at = coalesce(completed_at, now()), updated_at = now()
            WHERE organization_id = $1
              AND (status = 'running' OR after_patient_id = $2::uuid
                   OR strpos(lower(request_url), $2::uuid::text) > 0
                   OR EXISTS (SELECT 1 FROM fhir_export_chunks c
                              WHERE c.export_id = e.id AND strpos(c.data, $2::uuid::text) > 0))
            RETURNING id
          ), dropped AS (
            DELETE FROM fhir_export_chunks c USING affected a WHERE c.export_id = a.id
          )
          SELECT id FROM affected`,
    returns: 'exports',
  },
  // Stored Idempotency-Key answers of the organization's keys: a patient route's path names the
  // patient (in whatever case the client wrote it), and an answer may hold the id (a created
  // patient, an acknowledged alert).
  {
    table: 'idempotency_keys',
    sql: `DELETE FROM idempotency_keys
          WHERE scope IN (SELECT id::text FROM api_keys WHERE organization_id = $1)
            AND (strpos(lower(path), $2::uuid::text) > 0
                 OR strpos(coalesce(response_body::text, ''), $2::uuid::text) > 0)`,
  },
];

/** Every table that holds data about a patient, each emptied of it by an erasure. */
export const ERASED_TABLES: readonly string[] = [...new Set(STEPS.map((s) => s.table))];

/** Tables an erasure keeps, and why. */
export const TABLES_KEPT_ON_ERASURE: Readonly<Record<string, string>> = {
  audit_log:
    'who read or wrote which patient, when, and the erasure itself: ids, no content; append-only',
};

/**
 * Tables that hold nothing about a patient, and why. With ERASED_TABLES and
 * TABLES_KEPT_ON_ERASURE they name every table; test/erasure.e2e-spec.ts holds the schema to it,
 * so a new table must be placed in one of the three.
 */
export const TABLES_WITHOUT_PATIENT_DATA: Readonly<Record<string, string>> = {
  organizations: 'the clinic and its settings',
  clinicians: 'the clinic’s staff',
  client_apps: 'the apps a clinic registered',
  api_keys: 'keys: hashes, roles and scopes',
  exercises: 'the exercise catalog',
  webhook_endpoints: 'the clinic’s receivers and their sealed secrets',
  adherence_periods: 'scheduled periods: counts of patients',
  adherence_period_chunks: 'chunks of a period: counts of patients',
  migrations: 'the applied migrations',
};

/** A grant at a wearable cloud that the erased patient had given (revoked after the commit). */
export interface ErasedGrant {
  provider: WearableProvider;
  providerUserId: string | null;
  /** Sealed. */
  refreshToken: Buffer | null;
}

/** What an erasure removed that lives on outside PostgreSQL: jobs that name it, grants. */
export interface ErasedPatient {
  importIds: string[];
  connectionIds: string[];
  eventIds: string[];
  deliveryIds: string[];
  exportIds: string[];
  grants: ErasedGrant[];
}

/** How many of `$1`, `$2` a statement takes (PostgreSQL refuses a value it does not use). */
function arity(sql: string): number {
  return Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

const DEADLOCK_DETECTED = '40P01';
const ATTEMPTS = 3;

/**
 * Erasure on request: every row about a patient, in one transaction, but the audit log's.
 */
@Injectable()
export class PatientErasureRepository {
  constructor(private readonly db: Db) {}

  /**
   * Erases a patient of the organization and writes `audit` (the record of the erasure) in the
   * same transaction. Null when the organization has no such patient. A transaction chosen as
   * a deadlock's victim (a worker writing about the patient took its locks in another order)
   * is run again.
   */
  async erase(
    organizationId: string,
    patientId: string,
    audit: NewAuditEntry,
  ): Promise<ErasedPatient | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction((tx) =>
          this.eraseIn(tx, organizationId, patientId, audit),
        );
      } catch (err) {
        if (sqlState(err) !== DEADLOCK_DETECTED || attempt >= ATTEMPTS) throw err;
      }
    }
  }

  private async eraseIn(
    tx: Tx,
    organizationId: string,
    patientId: string,
    audit: NewAuditEntry,
  ): Promise<ErasedPatient | null> {
    const params = [organizationId, patientId];
    // The connections before the patient: a pull holds its connection's row and then needs the
    // patient's (storing a page as an import), so this order cannot deadlock with it.
    const connections = await queryRows<ErasedGrant & { id: string }>(
      tx,
      `SELECT id, provider, provider_user_id AS "providerUserId", refresh_token AS "refreshToken"
       FROM wearable_connections WHERE organization_id = $1 AND patient_id = $2::uuid FOR UPDATE`,
      params,
    );
    // Locked, every write of records about the patient waits, and then finds it gone.
    const [patient] = await queryRows<{ id: string }>(
      tx,
      `SELECT id FROM patients WHERE organization_id = $1 AND id = $2::uuid FOR UPDATE`,
      params,
    );
    if (!patient) return null;
    const erased: ErasedPatient = {
      importIds: [],
      connectionIds: connections.map((c) => c.id),
      eventIds: [],
      deliveryIds: [],
      exportIds: [],
      grants: connections.map(({ provider, providerUserId, refreshToken }) => ({
        provider,
        providerUserId,
        refreshToken,
      })),
    };
    const lists = {
      imports: erased.importIds,
      events: erased.eventIds,
      deliveries: erased.deliveryIds,
      exports: erased.exportIds,
    };
    for (const step of STEPS) {
      const rows = await queryRows<{ id: string }>(tx, step.sql, params.slice(0, arity(step.sql)));
      if (step.check && rows.length > 0) {
        throw new Error(`erasure left rows in ${step.table}`);
      }
      if (step.returns) lists[step.returns].push(...rows.map((r) => r.id));
    }
    await AuditRepository.writeIn(tx, audit);
    return erased;
  }
}
