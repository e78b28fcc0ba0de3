import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outcome questionnaires (STarT Back, PSFS, ODI): the patient's answers and the score computed
 * from them when they were recorded, never the instruments' item texts. And the scope that
 * lets a key record them, `outcomes:write`, which clinicians hold too (they do not hold
 * `records:write`): given to the existing keys whose role may hold it and that could already
 * write records (admin, app) or read them (clinician), so that no key loses what its role
 * was meant to do.
 */
/** The existing keys that get `outcomes:write` (exported for its test). */
export const GRANT_OUTCOMES_WRITE = `
  UPDATE api_keys SET scopes = array_append(scopes, 'outcomes:write')
  WHERE NOT ('outcomes:write' = ANY (scopes))
    AND ((role IN ('admin', 'app') AND 'records:write' = ANY (scopes))
      OR (role = 'clinician' AND 'records:read' = ANY (scopes)))`;

export class Questionnaires1763827200000 implements MigrationInterface {
  name = 'Questionnaires1763827200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE questionnaires (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        instrument text NOT NULL CHECK (instrument IN ('startback','psfs','odi')),
        completed_at timestamptz NOT NULL,
        local_date date NOT NULL,
        answers jsonb NOT NULL,
        score jsonb NOT NULL,
        created_by_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
    // A patient's questionnaires of one instrument, first to last (the first is what a later
    // one is compared with), and the list as the API pages it.
    await q.query(
      `CREATE INDEX questionnaires_patient_instrument_idx
         ON questionnaires (organization_id, patient_id, instrument, completed_at, id)`,
    );
    await q.query(
      `CREATE INDEX questionnaires_patient_created_idx
         ON questionnaires (organization_id, patient_id, created_at, id)`,
    );
    await q.query(GRANT_OUTCOMES_WRITE);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE api_keys SET scopes = array_remove(scopes, 'outcomes:write')`);
    await q.query(`DROP TABLE questionnaires`);
  }
}
