import { markAdherenceDirty } from '@app/clinical';
import { canTransition } from '@app/domain';
import { Alert, Db, Patient, RuleFinding, keysetPage, visibleTo } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { PatientNotVisibleException } from '../audit/audit.service';
import type { Caller } from '../auth/caller';
import { notFound, ProblemException } from '../common/problem';
import { pageRequest, type Page } from '../common/pagination';
import { PatientAccessService } from '../patients/patient-access.service';
import type { AlertDto, AlertQueryDto } from './alert.dto';

@Injectable()
export class AlertsService {
  constructor(
    private readonly db: Db,
    private readonly access: PatientAccessService,
  ) {}

  /** The alerts of the patients the caller may see (a clinician's own, every one for an admin). */
  async list(caller: Caller, query: AlertQueryDto): Promise<Page<AlertDto>> {
    const qb = this.db
      .repo(Alert)
      .createQueryBuilder('a')
      .innerJoin(Patient, 'p', 'p.organization_id = a.organization_id AND p.id = a.patient_id')
      .where('a.organization_id = :org', { org: caller.organizationId });
    visibleTo(qb, caller, 'p');
    if (query.status) qb.andWhere('a.status = :status', { status: query.status });
    if (query.patientId) qb.andWhere('a.patient_id = :patientId', { patientId: query.patientId });
    if (query.severity) qb.andWhere('a.severity = :severity', { severity: query.severity });
    if (query.rule) qb.andWhere('a.rule = :rule', { rule: query.rule });
    const page = await keysetPage(qb, pageRequest(query));
    return { data: await this.render(page.data), nextCursor: page.nextCursor };
  }

  async get(caller: Caller, id: string): Promise<AlertDto> {
    const alert = await this.findVisible(caller, id, false);
    return (await this.render([alert]))[0];
  }

  acknowledge(caller: Caller, id: string): Promise<AlertDto> {
    return this.transition(caller, id, 'acknowledged');
  }

  resolve(caller: Caller, id: string): Promise<AlertDto> {
    return this.transition(caller, id, 'resolved');
  }

  private transition(
    caller: Caller,
    id: string,
    to: 'acknowledged' | 'resolved',
  ): Promise<AlertDto> {
    return this.db.transaction(async (m) => {
      const alert = await this.findVisible(caller, id, true);
      if (!canTransition(alert.status, to)) {
        throw new ProblemException(409, `This alert is ${alert.status}; it cannot become ${to}`);
      }
      await m.query(
        `UPDATE alerts SET status = $2, ${to}_at = now(), ${to}_by_key_id = $3, updated_at = now()
         WHERE id = $1`,
        [alert.id, to, caller.keyId],
      );
      // An open warning holds READY_FOR_STRENGTHENING back: the flags are due again.
      await markAdherenceDirty(m, alert.organizationId, alert.patientId);
      const updated = await m.findOneByOrFail(Alert, { id: alert.id });
      return (await this.render([updated]))[0];
    });
  }

  /** The alert if the caller may see its patient; otherwise 404, whether or not it exists. */
  private async findVisible(caller: Caller, id: string, lock: boolean): Promise<Alert> {
    const alert = await this.db.repo(Alert).findOne({
      where: { id, organizationId: caller.organizationId },
      lock: lock ? { mode: 'pessimistic_write' } : undefined,
    });
    if (!alert) {
      // Same answer either way; only the audit row tells another clinic's alert from none.
      if (await this.db.repo(Alert).existsBy({ id })) throw new PatientNotVisibleException();
      throw notFound('alert');
    }
    await this.access.findVisible(caller, alert.patientId);
    return alert;
  }

  private async render(alerts: Alert[]): Promise<AlertDto[]> {
    const findingIds = alerts.map((a) => a.lastFindingId);
    const findings = findingIds.length
      ? await this.db
          .repo(RuleFinding)
          .createQueryBuilder('f')
          .where('f.id = ANY(:ids)', { ids: findingIds })
          .getMany()
      : [];
    const evidence = new Map(findings.map((f) => [f.id, f.evidence]));
    return alerts.map((a) => ({
      id: a.id,
      patientId: a.patientId,
      rule: a.rule,
      severity: a.severity,
      status: a.status,
      findingId: a.findingId,
      lastFindingId: a.lastFindingId,
      evidence: evidence.get(a.lastFindingId) ?? {},
      findingCount: a.findingCount,
      escalationCount: a.escalationCount,
      createdAt: a.createdAt,
      escalatedAt: a.escalatedAt,
      acknowledgedAt: a.acknowledgedAt,
      resolvedAt: a.resolvedAt,
      updatedAt: a.updatedAt,
    }));
  }
}
