import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organizations, people, API keys and the append-only audit log.
 * Composite foreign keys on (organization_id, id) make it impossible, in the database itself,
 * to attach a patient to another clinic's clinician or app.
 */
export class Foundation1763776800000 implements MigrationInterface {
  name = 'Foundation1763776800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organizations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE clinicians (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        email text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX clinicians_org_email_uq ON clinicians (organization_id, lower(email))`,
    );

    await q.query(`
      CREATE TABLE client_apps (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, id)
      )`);

    await q.query(`
      CREATE TABLE patients (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        external_ref text NOT NULL,
        timezone text NOT NULL,
        clinician_id uuid NOT NULL,
        symptom_onset_date date,
        condition text NOT NULL DEFAULT 'lumbar_disc_herniation',
        baseline_pain_intensity smallint CHECK (baseline_pain_intensity BETWEEN 0 AND 10),
        baseline_pain_site text CHECK (baseline_pain_site IN ('none','low_back','buttock','thigh','calf','foot')),
        baseline_pain_side text CHECK (baseline_pain_side IN ('left','right','both')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, id),
        UNIQUE (organization_id, external_ref),
        FOREIGN KEY (organization_id, clinician_id) REFERENCES clinicians (organization_id, id)
      )`);
    await q.query(
      `CREATE INDEX patients_org_clinician_idx ON patients (organization_id, clinician_id, created_at, id)`,
    );
    await q.query(
      `CREATE INDEX patients_org_created_idx ON patients (organization_id, created_at, id)`,
    );

    await q.query(`
      CREATE TABLE enrollments (
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        client_app_id uuid NOT NULL,
        consented_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        PRIMARY KEY (organization_id, patient_id, client_app_id),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE,
        FOREIGN KEY (organization_id, client_app_id) REFERENCES client_apps (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX enrollments_app_idx ON enrollments (organization_id, client_app_id, patient_id) WHERE revoked_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin','clinician','app','dashboard')),
        scopes text[] NOT NULL,
        clinician_id uuid,
        client_app_id uuid,
        prefix text NOT NULL UNIQUE,
        secret_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        FOREIGN KEY (organization_id, clinician_id) REFERENCES clinicians (organization_id, id),
        FOREIGN KEY (organization_id, client_app_id) REFERENCES client_apps (organization_id, id),
        CHECK ((role = 'clinician') = (clinician_id IS NOT NULL)),
        CHECK ((role = 'app') = (client_app_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX api_keys_org_idx ON api_keys (organization_id, created_at, id)`);

    // Who read or wrote which patient's data. Rows are only ever added: the trigger refuses
    // UPDATE, DELETE and TRUNCATE for every role, the application's included.
    await q.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        organization_id uuid,
        api_key_id uuid,
        actor_role text,
        action text NOT NULL,
        patient_id uuid,
        resource_id uuid,
        outcome text NOT NULL CHECK (outcome IN ('success','denied','not_found','unauthenticated','forbidden','rejected','error')),
        status smallint NOT NULL,
        request_id text
      )`);
    await q.query(
      `CREATE INDEX audit_log_org_patient_idx ON audit_log (organization_id, patient_id, occurred_at)`,
    );
    await q.query(`CREATE INDEX audit_log_key_idx ON audit_log (api_key_id, occurred_at)`);
    await q.query(`
      CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP FUNCTION audit_log_is_append_only()`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE enrollments`);
    await q.query(`DROP TABLE patients`);
    await q.query(`DROP TABLE client_apps`);
    await q.query(`DROP TABLE clinicians`);
    await q.query(`DROP TABLE organizations`);
  }
}
