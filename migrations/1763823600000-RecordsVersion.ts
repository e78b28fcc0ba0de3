import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A write of pain reports and sessions reads what the rules need (one statement), decides, and
 * writes (a second statement) without holding a lock in between: the write goes through only
 * if the patient's `records_version` is still the one it read, and moves it on. Every change to
 * what the rules read moves it too: a records write, a program created or moved between states,
 * an alert acknowledged or resolved (in their own statements), and, by this trigger, the
 * patient's own fields the rules read (time zone, onset, baseline pain).
 */
export class RecordsVersion1763823600000 implements MigrationInterface {
  name = 'RecordsVersion1763823600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE patients ADD COLUMN records_version bigint NOT NULL DEFAULT 0`);
    await q.query(
      `CREATE FUNCTION patients_records_version() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.records_version := OLD.records_version + 1;
         RETURN NEW;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER patients_records_version BEFORE UPDATE ON patients FOR EACH ROW
       WHEN ((OLD.timezone, OLD.symptom_onset_date, OLD.baseline_pain_intensity,
              OLD.baseline_pain_site, OLD.baseline_pain_side)
             IS DISTINCT FROM
             (NEW.timezone, NEW.symptom_onset_date, NEW.baseline_pain_intensity,
              NEW.baseline_pain_site, NEW.baseline_pain_side))
       EXECUTE FUNCTION patients_records_version()`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER patients_records_version ON patients`);
    await q.query(`DROP FUNCTION patients_records_version()`);
    await q.query(`ALTER TABLE patients DROP COLUMN records_version`);
  }
}
