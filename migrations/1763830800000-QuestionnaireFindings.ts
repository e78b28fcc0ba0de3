import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A finding comes from a pain report or, for the outcome rules (FUNCTION_*, DISABILITY_*), from
 * a questionnaire: exactly one of the two, each a foreign key within the organization.
 */
export class QuestionnaireFindings1763830800000 implements MigrationInterface {
  name = 'QuestionnaireFindings1763830800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE questionnaires ADD CONSTRAINT questionnaires_organization_id_id_key UNIQUE (organization_id, id)`,
    );
    await q.query(`ALTER TABLE findings ALTER COLUMN pain_report_id DROP NOT NULL`);
    await q.query(`ALTER TABLE findings ADD COLUMN questionnaire_id uuid`);
    await q.query(
      `ALTER TABLE findings ADD CONSTRAINT findings_questionnaire_fkey FOREIGN KEY (organization_id, questionnaire_id)
         REFERENCES questionnaires (organization_id, id) ON DELETE CASCADE`,
    );
    await q.query(
      `ALTER TABLE findings ADD CONSTRAINT findings_one_source_check
         CHECK ((pain_report_id IS NULL) <> (questionnaire_id IS NULL))`,
    );
    await q.query(
      `CREATE INDEX findings_questionnaire_idx ON findings (questionnaire_id) WHERE questionnaire_id IS NOT NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    // Their alerts go with them (alerts.finding_id cascades).
    await q.query(`DELETE FROM findings WHERE questionnaire_id IS NOT NULL`);
    await q.query(`DROP INDEX findings_questionnaire_idx`);
    await q.query(`ALTER TABLE findings DROP CONSTRAINT findings_one_source_check`);
    await q.query(`ALTER TABLE findings DROP COLUMN questionnaire_id`);
    await q.query(`ALTER TABLE findings ALTER COLUMN pain_report_id SET NOT NULL`);
    await q.query(
      `ALTER TABLE questionnaires DROP CONSTRAINT questionnaires_organization_id_id_key`,
    );
  }
}
