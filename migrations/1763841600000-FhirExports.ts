import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * FHIR Bulk Data exports (docs/fhir.md): one row per kick-off, and the NDJSON the worker writes
 * for it in chunks, one file per resource type. The worker commits a batch of patients' chunks
 * with the export's progress in one transaction, so an export resumed after a crash writes every
 * resource once. Files live in PostgreSQL with the rest of the patient data (encrypted and
 * backed up the same way), and are deleted when the export expires or is cancelled.
 */
export class FhirExports1763841600000 implements MigrationInterface {
  name = 'FhirExports1763841600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fhir_exports (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        -- Only this key may poll, download or cancel (the Bulk Data "same client" rule).
        api_key_id uuid NOT NULL,
        -- Who asked, as visibility sees it: the patients exported are the ones this viewer sees
        -- when the export runs (role, and the clinician or client app of the key).
        viewer_role text NOT NULL,
        viewer_clinician_id uuid,
        viewer_client_app_id uuid,
        -- Patient/$export: NULL; Group/{id}/$export: the organization or a clinician's panel.
        group_kind text CHECK (group_kind IN ('organization', 'clinician')),
        group_id uuid,
        types text[] NOT NULL,
        -- The sources (kinds of rows) the key could read, by its scopes (FHIR_SOURCE_SCOPES):
        -- alert Flags and findings only with alerts:read, and so on.
        sources text[] NOT NULL,
        -- How often the sweep queued it again after its job was lost; it fails after a few.
        requeues integer NOT NULL DEFAULT 0,
        since timestamptz,
        request_url text NOT NULL,
        status text NOT NULL DEFAULT 'queued'
          CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        -- The instant the export's data is as of (the manifest's transactionTime).
        transaction_time timestamptz NOT NULL DEFAULT now(),
        patients_total integer,
        patients_done integer NOT NULL DEFAULT 0,
        -- The last patient id whose resources are committed: where a resumed export goes on.
        after_patient_id uuid,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        expires_at timestamptz NOT NULL,
        CHECK ((group_kind IS NULL) = (group_id IS NULL))
      )`);
    // The concurrency limit counts an organization's unfinished exports.
    await q.query(
      `CREATE INDEX fhir_exports_org_active_idx ON fhir_exports (organization_id) WHERE status IN ('queued', 'running')`,
    );
    await q.query(`CREATE INDEX fhir_exports_expires_idx ON fhir_exports (expires_at)`);
    await q.query(`
      CREATE TABLE fhir_export_chunks (
        export_id uuid NOT NULL REFERENCES fhir_exports (id) ON DELETE CASCADE,
        resource_type text NOT NULL,
        seq integer NOT NULL,
        resources integer NOT NULL CHECK (resources > 0),
        -- NDJSON text (UTF-8): one resource per line, every line ending in a newline.
        data text NOT NULL,
        PRIMARY KEY (export_id, resource_type, seq)
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE fhir_export_chunks`);
    await q.query(`DROP TABLE fhir_exports`);
  }
}
