import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Remote therapeutic monitoring (docs/rtm.md): monitoring episodes, the clinicians' care-time
 * log (append-only: an entry is voided, never changed or deleted), and the clinician worklist
 * the worker keeps (one row a patient, docs/worklist.md). And the scopes `care:read` and
 * `care:write` (the care-time log, episodes, the ledger, the worklist), given to the existing
 * admin keys that manage the organization and clinician keys that read records, so that no key
 * loses what its role was meant to do.
 */
/** The existing keys that get the care scopes (exported for its test). */
export const GRANT_CARE_SCOPES = `
  UPDATE api_keys SET scopes = scopes
      || CASE WHEN 'care:read' = ANY (scopes) THEN '{}'::text[] ELSE '{care:read}'::text[] END
      || CASE WHEN 'care:write' = ANY (scopes) THEN '{}'::text[] ELSE '{care:write}'::text[] END
  WHERE NOT ('care:read' = ANY (scopes) AND 'care:write' = ANY (scopes))
    AND ((role = 'admin' AND 'org:manage' = ANY (scopes))
      OR (role = 'clinician' AND 'records:read' = ANY (scopes)))`;

export class RemoteMonitoring1763838000000 implements MigrationInterface {
  name = 'RemoteMonitoring1763838000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rtm_episodes (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        start_date date NOT NULL,
        -- The last day monitored (inclusive), set when the episode ends.
        end_date date,
        created_by_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        ended_by_key_id uuid,
        UNIQUE (organization_id, id),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE,
        CHECK (end_date IS NULL OR end_date >= start_date),
        CHECK ((end_date IS NULL) = (ended_at IS NULL))
      )`);
    // At most one open episode a patient; episodes never overlap (checked by the write).
    await q.query(
      `CREATE UNIQUE INDEX rtm_episodes_open_uq ON rtm_episodes (organization_id, patient_id) WHERE end_date IS NULL`,
    );
    await q.query(
      `CREATE INDEX rtm_episodes_patient_idx ON rtm_episodes (organization_id, patient_id, start_date)`,
    );

    await q.query(`
      CREATE TABLE care_time_entries (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        clinician_id uuid NOT NULL,
        started_at timestamptz NOT NULL,
        -- The patient's local date of started_at: treatment management counts calendar months there.
        local_date date NOT NULL,
        minutes integer NOT NULL CHECK (minutes BETWEEN 1 AND 120),
        interactive boolean NOT NULL,
        kind text NOT NULL CHECK (kind IN ('data_review', 'program_change', 'call', 'video', 'message')),
        note text CHECK (length(note) <= 2000),
        created_by_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        voided_at timestamptz,
        void_reason text CHECK (length(void_reason) <= 500),
        voided_by_key_id uuid,
        UNIQUE (organization_id, id),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE,
        FOREIGN KEY (organization_id, clinician_id) REFERENCES clinicians (organization_id, id),
        -- Only a call or a video is real-time interactive communication.
        CHECK (NOT interactive OR kind IN ('call', 'video')),
        CHECK ((voided_at IS NULL) = (void_reason IS NULL))
      )`);
    await q.query(
      `CREATE INDEX care_time_patient_day_idx ON care_time_entries (organization_id, patient_id, local_date, started_at, id)`,
    );
    // Append-only: the only change an entry takes is being voided, once.
    await q.query(`
      CREATE FUNCTION care_time_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.voided_at IS NOT NULL
           OR NEW.voided_at IS NULL
           OR (to_jsonb(NEW) - 'voided_at' - 'void_reason' - 'voided_by_key_id')
              IS DISTINCT FROM (to_jsonb(OLD) - 'voided_at' - 'void_reason' - 'voided_by_key_id') THEN
          RAISE EXCEPTION 'care_time_entries are append-only: an entry can only be voided, once'
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER care_time_append_only BEFORE UPDATE ON care_time_entries
         FOR EACH ROW EXECUTE FUNCTION care_time_append_only()`,
    );
    await q.query(GRANT_CARE_SCOPES);

    await q.query(`
      CREATE TABLE worklist_entries (
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        clinician_id uuid,
        -- 0 urgent, 1 attention, 2 routine: the list sorts by it, then by score.
        band smallint NOT NULL CHECK (band BETWEEN 0 AND 2),
        score integer NOT NULL,
        -- The oldest open urgent alert's time ('infinity' without one): among equal scores,
        -- whoever has waited longest comes first.
        oldest_urgent_at timestamptz NOT NULL,
        reasons jsonb NOT NULL,
        -- The patient's current month (local) when computed, and the RTM codes met in it so far
        -- (the dashboard counts them).
        rtm_month text,
        rtm_codes text[] NOT NULL DEFAULT '{}',
        computed_at timestamptz NOT NULL,
        PRIMARY KEY (organization_id, patient_id),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
    // A clinician's list and an organization's, in rank order, read a page at a time.
    await q.query(
      `CREATE INDEX worklist_clinician_rank_idx
         ON worklist_entries (organization_id, clinician_id, band, score DESC, oldest_urgent_at, patient_id)`,
    );
    await q.query(
      `CREATE INDEX worklist_org_rank_idx
         ON worklist_entries (organization_id, band, score DESC, oldest_urgent_at, patient_id)`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE api_keys SET scopes = array_remove(array_remove(scopes, 'care:read'), 'care:write')`,
    );
    await q.query(`DROP TABLE worklist_entries`);
    await q.query(`DROP TABLE care_time_entries`);
    await q.query(`DROP FUNCTION care_time_append_only()`);
    await q.query(`DROP TABLE rtm_episodes`);
  }
}
