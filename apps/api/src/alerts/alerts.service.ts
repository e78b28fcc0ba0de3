import { canTransition } from '@app/domain';
import { Alert, AlertsRepository, Db, type Tx } from '@app/persistence';
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
    private readonly alerts: AlertsRepository,
    private readonly access: PatientAccessService,
  ) {}

  /** The alerts of the patients the caller may see (a clinician's own, every one for an admin). */
  async list(caller: Caller, query: AlertQueryDto): Promise<Page<AlertDto>> {
    const page = await this.alerts.visiblePage(caller, query, pageRequest(query));
    return { data: await this.render(page.data), nextCursor: page.nextCursor };
  }

  async get(caller: Caller, id: string): Promise<AlertDto> {
    const alert = await this.findVisible(caller, id);
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
    return this.db.transaction(async (tx) => {
      // The patient's row first, as a write of records takes it (two writers taking the
      // patient and the alert in opposite orders could deadlock), its records version moved
      // on: a write decided while the alert was open decides again. Then the alert, locked.
      await this.findVisible(caller, id, tx);
      const alert = (await this.alerts.find(caller.organizationId, id, tx))!;
      if (!canTransition(alert.status, to)) {
        throw new ProblemException(409, `This alert is ${alert.status}; it cannot become ${to}`);
      }
      const updated = await this.alerts.transition(tx, alert, to, caller.keyId);
      return (await this.render([updated]))[0];
    });
  }

  /**
   * The alert if the caller may see its patient; otherwise 404, whether or not it exists. With
   * `lockIn`, the patient is locked in that transaction (and its records version moved on) by
   * the same statement that checks it may be seen.
   */
  private async findVisible(caller: Caller, id: string, lockIn?: Tx): Promise<Alert> {
    const alert = await this.alerts.find(caller.organizationId, id);
    if (!alert) {
      // Same answer either way; only the audit row tells another clinic's alert from none.
      if (await this.alerts.exists(id)) throw new PatientNotVisibleException();
      throw notFound('alert');
    }
    if (lockIn) await this.access.lockVisible(lockIn, caller, alert.patientId);
    else await this.access.findVisible(caller, alert.patientId);
    return alert;
  }

  private async render(alerts: Alert[]): Promise<AlertDto[]> {
    const evidence = await this.alerts.latestEvidence(alerts);
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
