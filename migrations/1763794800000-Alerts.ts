import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Clinician alerts and their delivery (docs/alerts-and-webhooks.md): alerts raised from warning
 * and urgent findings, the transactional outbox that carries their events to the queue, webhook
 * endpoints with their (encrypted) signing secrets, and one delivery row per event and endpoint.
 */
export class Alerts1763794800000 implements MigrationInterface {
  name = 'Alerts1763794800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        rule text NOT NULL,
        severity text NOT NULL CHECK (severity IN ('warning', 'urgent')),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
        finding_id uuid NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
        last_finding_id uuid NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
        finding_count integer NOT NULL DEFAULT 1,
        escalation_count integer NOT NULL DEFAULT 0,
        escalated_at timestamptz,
        acknowledged_at timestamptz,
        acknowledged_by_key_id uuid REFERENCES api_keys (id),
        resolved_at timestamptz,
        resolved_by_key_id uuid REFERENCES api_keys (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, id),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
    // clinical-rules §3: one open alert per patient and rule; a worse finding escalates it. The
    // index makes a second open alert impossible even if two writers raced past the lock.
    await q.query(
      `CREATE UNIQUE INDEX alerts_open_rule_uq ON alerts (organization_id, patient_id, rule) WHERE status = 'open'`,
    );
    await q.query(
      `CREATE INDEX alerts_org_created_idx ON alerts (organization_id, created_at, id)`,
    );
    await q.query(
      `CREATE INDEX alerts_patient_created_idx ON alerts (organization_id, patient_id, created_at, id)`,
    );
    // The dashboard counts open alerts by severity.
    await q.query(
      `CREATE INDEX alerts_open_idx ON alerts (organization_id, patient_id) INCLUDE (severity) WHERE status = 'open'`,
    );

    // Events written in the transaction of the record that caused them; the worker's relay moves
    // them to the queue (job id = outbox id) and stamps relayed_at. Payloads hold ids only.
    await q.query(`
      CREATE TABLE outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        relayed_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX outbox_pending_idx ON outbox (created_at, id) WHERE relayed_at IS NULL`,
    );

    // Signing secrets must be read back to sign, so they cannot be hashed: they are encrypted
    // with WEBHOOK_SECRETS_KEY (AES-256-GCM) and never returned after creation or rotation.
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        clinician_id uuid,
        url text NOT NULL,
        events text[] NOT NULL CHECK (cardinality(events) > 0),
        secret_encrypted bytea NOT NULL,
        previous_secret_encrypted bytea,
        previous_secret_expires_at timestamptz,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        disabled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, id),
        FOREIGN KEY (organization_id, clinician_id) REFERENCES clinicians (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX webhook_endpoints_org_idx ON webhook_endpoints (organization_id, created_at, id)`,
    );

    // One row per event and endpoint: the unique key is what makes a fan-out that runs twice
    // (two relays, a retried job) deliver once. The body is kept, so a dead letter can be
    // replayed after the outbox row is gone.
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        endpoint_id uuid NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        leased_until timestamptz,
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        dead_at timestamptz,
        dead_reason text,
        replay_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (endpoint_id, event_id),
        FOREIGN KEY (organization_id, endpoint_id) REFERENCES webhook_endpoints (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_org_idx ON webhook_deliveries (organization_id, created_at, id)`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_endpoints`);
    await q.query(`DROP TABLE outbox`);
    await q.query(`DROP TABLE alerts`);
  }
}
