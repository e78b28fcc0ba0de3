import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Connections to wearable clouds (docs/providers.md): a patient's account at Google Health or
 * Withings, connected once with OAuth (authorization code with PKCE), then pulled by the worker.
 * Tokens are sealed at rest (AES-256-GCM, as webhook secrets). The cursor says where the next
 * pull starts; it moves in the transaction that stores a fetched page, so a sync resumed after a
 * crash fetches only what was not stored. A lease keeps one worker on a connection at a time.
 */
/** The formats before this migration (ActivityImports). */
const FORMATS = [
  'native',
  'openmhealth',
  'fhir',
  'apple-health-xml',
  'health-connect',
  'garmin',
  'fitbit',
];

export class WearableConnections1763845200000 implements MigrationInterface {
  name = 'WearableConnections1763845200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE wearable_connections (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        provider text NOT NULL CHECK (provider IN ('google-health', 'withings')),
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'connected', 'error', 'revoked')),
        created_by_key_id uuid,
        -- The provider's id of the account (Withings userid, Google healthUserId).
        provider_user_id text,
        access_token bytea,
        refresh_token bytea,
        token_expires_at timestamptz,
        scope text,
        -- Where the next pull starts (per provider: a time window, a page token, an offset).
        cursor jsonb NOT NULL DEFAULT '{}',
        backfilled_at timestamptz,
        last_sync_at timestamptz,
        last_error text,
        -- One worker at a time: the lease's holder and end.
        lease_owner text,
        lease_until timestamptz,
        -- Not before this instant (the provider asked to wait: 429, Withings 601; or failures
        -- in a row, backed off).
        retry_at timestamptz,
        failures integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        connected_at timestamptz,
        revoked_at timestamptz,
        UNIQUE (organization_id, id),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
    // One live connection per patient and provider.
    await q.query(
      `CREATE UNIQUE INDEX wearable_connections_live_uq ON wearable_connections (organization_id, patient_id, provider)
       WHERE status IN ('pending', 'connected', 'error')`,
    );
    await q.query(
      `CREATE INDEX wearable_connections_patient_idx ON wearable_connections (organization_id, patient_id, created_at)`,
    );
    // Notifications find the connection by the provider's user id.
    await q.query(
      `CREATE INDEX wearable_connections_provider_user_idx ON wearable_connections (provider, provider_user_id)
       WHERE status = 'connected'`,
    );
    await q.query(`
      CREATE TABLE oauth_states (
        -- SHA-256 of the state sent to the provider: the state itself is a bearer secret.
        state_hash bytea PRIMARY KEY,
        connection_id uuid NOT NULL REFERENCES wearable_connections (id) ON DELETE CASCADE,
        -- PKCE: the verifier, sealed; the provider saw only its SHA-256 challenge.
        code_verifier bytea NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await q.query(`CREATE INDEX oauth_states_connection_idx ON oauth_states (connection_id)`);
    // A pulled page is stored and imported as a push of its format.
    await q.query(`ALTER TABLE activity_imports DROP CONSTRAINT activity_imports_format_check`);
    await q.query(`
      ALTER TABLE activity_imports ADD CONSTRAINT activity_imports_format_check
        CHECK (format IN (${[...FORMATS, 'google-health', 'withings'].map((f) => `'${f}'`).join(',')}))`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM activity_imports WHERE format IN ('google-health', 'withings')`);
    await q.query(`ALTER TABLE activity_imports DROP CONSTRAINT activity_imports_format_check`);
    await q.query(`
      ALTER TABLE activity_imports ADD CONSTRAINT activity_imports_format_check
        CHECK (format IN (${FORMATS.map((f) => `'${f}'`).join(',')}))`);
    await q.query(`DROP TABLE oauth_states`);
    await q.query(`DROP TABLE wearable_connections`);
  }
}
