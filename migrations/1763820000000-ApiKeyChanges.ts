import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API processes keep the keys they authenticated in memory for a minute (one round trip less on
 * every request). A change to a key that decides what it may do (its revocation, its role or
 * scopes, its deletion, a cascade from its organization, clinician or app included) is told
 * to them at commit on the `sciatrack_api_keys` channel, and they forget every key they hold.
 * The minute stamp of `last_used_at` is not such a change, and tells nobody.
 */
export class ApiKeyChanges1763820000000 implements MigrationInterface {
  name = 'ApiKeyChanges1763820000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE FUNCTION api_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('sciatrack_api_keys', '');
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER api_keys_changed_update AFTER UPDATE ON api_keys FOR EACH ROW
       WHEN ((OLD.organization_id, OLD.prefix, OLD.secret_hash, OLD.role, OLD.scopes,
              OLD.clinician_id, OLD.client_app_id, OLD.revoked_at)
             IS DISTINCT FROM
             (NEW.organization_id, NEW.prefix, NEW.secret_hash, NEW.role, NEW.scopes,
              NEW.clinician_id, NEW.client_app_id, NEW.revoked_at))
       EXECUTE FUNCTION api_keys_changed()`,
    );
    await q.query(
      `CREATE TRIGGER api_keys_changed_delete AFTER DELETE OR TRUNCATE ON api_keys
       FOR EACH STATEMENT EXECUTE FUNCTION api_keys_changed()`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER api_keys_changed_delete ON api_keys`);
    await q.query(`DROP TRIGGER api_keys_changed_update ON api_keys`);
    await q.query(`DROP FUNCTION api_keys_changed()`);
  }
}
