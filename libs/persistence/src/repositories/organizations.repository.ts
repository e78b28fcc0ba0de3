import { Injectable } from '@nestjs/common';
import { Db, type Executor, type Tx } from '../db.service';
import { ClientApp, Clinician, Organization } from '../entities';
import { keysetPage, type KeysetPage, type PageRequest } from '../keyset-page';

/** Organizations (clinics), their settings, clinicians and client apps. */
@Injectable()
export class OrganizationsRepository {
  constructor(private readonly db: Db) {}

  createOrganization(tx: Tx, name: string): Promise<Organization> {
    return tx.save(tx.create(Organization, { name, settings: {} }));
  }

  exists(organizationId: string): Promise<boolean> {
    return this.db.current.existsBy(Organization, { id: organizationId });
  }

  async settingsOf(organizationId: string): Promise<Record<string, unknown>> {
    const org = await this.db.current
      .getRepository(Organization)
      .findOneByOrFail({ id: organizationId });
    return org.settings;
  }

  async sampleRetentionOf(organizationId: string): Promise<number | null> {
    const org = await this.db.current
      .getRepository(Organization)
      .findOneByOrFail({ id: organizationId });
    return org.sampleRetentionDays;
  }

  async setSampleRetention(tx: Tx, organizationId: string, days: number | null): Promise<void> {
    await tx.query(`UPDATE organizations SET sample_retention_days = $2 WHERE id = $1`, [
      organizationId,
      days,
    ]);
  }

  /** The settings, locked until the transaction ends: one change at a time. */
  async lockSettings(tx: Tx, organizationId: string): Promise<Record<string, unknown>> {
    const [row] = await tx.query<{ settings: Record<string, unknown> }[]>(
      `SELECT settings FROM organizations WHERE id = $1 FOR UPDATE`,
      [organizationId],
    );
    return row.settings;
  }

  async replaceRuleSettings(tx: Tx, organizationId: string, rules: object): Promise<void> {
    await tx.query(
      `UPDATE organizations SET settings = jsonb_set(settings, '{rules}', $2::jsonb) WHERE id = $1`,
      [organizationId, JSON.stringify(rules)],
    );
  }

  async replaceRtmSettings(tx: Tx, organizationId: string, rtm: object): Promise<void> {
    await tx.query(
      `UPDATE organizations SET settings = jsonb_set(settings, '{rtm}', $2::jsonb) WHERE id = $1`,
      [organizationId, JSON.stringify(rtm)],
    );
  }

  /** Every patient of the organization to be recomputed by the adherence worker. */
  async markAllForAdherence(tx: Tx, organizationId: string): Promise<void> {
    await tx.query(
      `INSERT INTO adherence_dirty (organization_id, patient_id)
       SELECT organization_id, id FROM patients WHERE organization_id = $1`,
      [organizationId],
    );
  }

  hasClinician(
    organizationId: string,
    id: string,
    on: Executor = this.db.current,
  ): Promise<boolean> {
    return on.existsBy(Clinician, { id, organizationId });
  }

  hasClientApp(
    organizationId: string,
    id: string,
    on: Executor = this.db.current,
  ): Promise<boolean> {
    return on.existsBy(ClientApp, { id, organizationId });
  }

  /** Emails are unique per organization whatever their case. */
  clinicianEmailTaken(organizationId: string, email: string): Promise<boolean> {
    return this.db.current
      .getRepository(Clinician)
      .createQueryBuilder('c')
      .where('c.organization_id = :org AND lower(c.email) = lower(:email)', {
        org: organizationId,
        email,
      })
      .getExists();
  }

  insertClinician(organizationId: string, name: string, email: string): Promise<Clinician> {
    const clinicians = this.db.current.getRepository(Clinician);
    return clinicians.save(clinicians.create({ organizationId, name, email }));
  }

  clinicianPage(organizationId: string, page: PageRequest): Promise<KeysetPage<Clinician>> {
    const qb = this.db.current
      .getRepository(Clinician)
      .createQueryBuilder('c')
      .where('c.organization_id = :org', { org: organizationId });
    return keysetPage(qb, page);
  }

  insertClientApp(organizationId: string, name: string): Promise<ClientApp> {
    const apps = this.db.current.getRepository(ClientApp);
    return apps.save(apps.create({ organizationId, name }));
  }

  clientAppPage(organizationId: string, page: PageRequest): Promise<KeysetPage<ClientApp>> {
    const qb = this.db.current
      .getRepository(ClientApp)
      .createQueryBuilder('a')
      .where('a.organization_id = :org', { org: organizationId });
    return keysetPage(qb, page);
  }
}
