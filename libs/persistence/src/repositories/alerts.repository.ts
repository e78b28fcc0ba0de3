import type { AlertStatus } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { Db, type Tx } from '../db.service';
import { Alert, Patient, RuleFinding } from '../entities';
import { keysetPage, type KeysetPage, type PageRequest } from '../keyset-page';
import { visibleTo, type Viewer } from './patients.repository';

export interface AlertFilter {
  status?: string;
  patientId?: string;
  severity?: string;
  rule?: string;
}

/** Clinician alerts (raised with the records that call for them: RecordsRepository.write). */
@Injectable()
export class AlertsRepository {
  constructor(private readonly db: Db) {}

  /** The alerts of the patients the viewer may see (a clinician's own, every one for an admin). */
  visiblePage(viewer: Viewer, filter: AlertFilter, page: PageRequest): Promise<KeysetPage<Alert>> {
    const qb = this.db.current
      .getRepository(Alert)
      .createQueryBuilder('a')
      .innerJoin(Patient, 'p', 'p.organization_id = a.organization_id AND p.id = a.patient_id')
      .where('a.organization_id = :org', { org: viewer.organizationId });
    visibleTo(qb, viewer, 'p');
    if (filter.status) qb.andWhere('a.status = :status', { status: filter.status });
    if (filter.patientId) qb.andWhere('a.patient_id = :patientId', { patientId: filter.patientId });
    if (filter.severity) qb.andWhere('a.severity = :severity', { severity: filter.severity });
    if (filter.rule) qb.andWhere('a.rule = :rule', { rule: filter.rule });
    return keysetPage(qb, page);
  }

  /** An alert of the organization; with `lock`, locked until `lock`'s transaction ends. */
  find(organizationId: string, id: string, lock?: Tx): Promise<Alert | null> {
    return (lock ?? this.db.current).getRepository(Alert).findOne({
      where: { id, organizationId },
      lock: lock ? { mode: 'pessimistic_write' } : undefined,
    });
  }

  exists(id: string): Promise<boolean> {
    return this.db.current.getRepository(Alert).existsBy({ id });
  }

  /**
   * Acknowledged or resolved by a key, in one statement with the patient's adherence marked
   * for recompute (an open warning holds READY_FOR_STRENGTHENING back). The caller has moved
   * the patient's records version on (PatientsRepository.findVisible with `lock`).
   */
  async transition(
    tx: Tx,
    alert: Alert,
    to: Exclude<AlertStatus, 'open'>,
    keyId: string,
  ): Promise<Alert> {
    await tx.query(
      `WITH changed AS (
         UPDATE alerts SET status = $2, ${to}_at = now(), ${to}_by_key_id = $3, updated_at = now()
         WHERE organization_id = $4 AND id = $1
       )
       INSERT INTO adherence_dirty (organization_id, patient_id) VALUES ($4, $5)`,
      [alert.id, to, keyId, alert.organizationId, alert.patientId],
    );
    return tx.findOneByOrFail(Alert, { organizationId: alert.organizationId, id: alert.id });
  }

  /** The evidence of each alert's latest finding. */
  async latestEvidence(alerts: Alert[]): Promise<Map<string, Record<string, unknown>>> {
    const ids = alerts.map((a) => a.lastFindingId);
    if (ids.length === 0) return new Map();
    const findings = await this.db.current
      .getRepository(RuleFinding)
      .createQueryBuilder('f')
      .where('f.organization_id = ANY(:orgs) AND f.id = ANY(:ids)', {
        orgs: [...new Set(alerts.map((a) => a.organizationId))],
        ids,
      })
      .getMany();
    return new Map(findings.map((f) => [f.id, f.evidence]));
  }
}
