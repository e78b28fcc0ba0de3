import { Clock } from '@app/config';
import {
  AuditRepository,
  PatientErasureRepository,
  PatientsRepository,
  type ErasedPatient,
  type NewAuditEntry,
} from '@app/persistence';
import { JobQueueService } from '@app/queue';
import { Injectable, Logger } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { ConnectionsService } from '../connections/connections.service';
import { PatientAccessService } from '../patients/patient-access.service';

/** The audit action of an erasure: its one row, written with it. */
export const ERASE_ACTION = 'patient.erase';

/**
 * Erasure on request (docs/privacy.md): every row about a patient goes in one transaction, but
 * the audit log's, which gains the erasure's own row in that transaction. After the commit, the
 * jobs that name the patient's records leave the queues and the patient's wearable-cloud grants
 * are revoked at the providers (best effort both: what is left names records that no longer
 * exist, and its processor finds nothing).
 */
@Injectable()
export class PatientErasureService {
  private readonly logger = new Logger(PatientErasureService.name);

  constructor(
    private readonly erasure: PatientErasureRepository,
    private readonly patients: PatientsRepository,
    private readonly audit: AuditRepository,
    private readonly access: PatientAccessService,
    private readonly jobs: JobQueueService,
    private readonly connections: ConnectionsService,
    private readonly clock: Clock,
  ) {}

  /**
   * Erases a patient the caller may see. Erasing one the organization erased already succeeds
   * again (a retry after a lost answer) and changes nothing; any other id is 404.
   */
  async erase(caller: Caller, patientId: string, requestId: string | null): Promise<void> {
    const record: NewAuditEntry = {
      occurredAt: this.clock.now(),
      organizationId: caller.organizationId,
      apiKeyId: caller.keyId,
      actorRole: caller.role,
      action: ERASE_ACTION,
      patientId,
      resourceId: null,
      outcome: 'success',
      status: 204,
      requestId,
    };
    const patient = await this.patients.findVisible(caller, patientId);
    const erased = patient
      ? await this.erasure.erase(caller.organizationId, patient.id, record)
      : null;
    if (erased) {
      await this.afterCommit(patientId, erased);
      return;
    }
    if (await this.audit.erased(caller.organizationId, patientId, ERASE_ACTION)) {
      await this.audit.record(record);
      return;
    }
    await this.access.notVisible(patientId);
  }

  private async afterCommit(patientId: string, erased: ErasedPatient): Promise<void> {
    try {
      const { running } = await this.jobs.removeJobsNaming({
        patientIds: [patientId],
        importIds: erased.importIds,
        eventIds: erased.eventIds,
        deliveryIds: erased.deliveryIds,
        exportIds: erased.exportIds,
        connectionIds: erased.connectionIds,
      });
      if (running > 0) {
        this.logger.log({ running }, 'jobs of an erased patient were running: they find nothing');
      }
    } catch (err) {
      // Redis away: the jobs left name records that are gone, find nothing, and expire.
      const errorClass = err instanceof Error ? err.constructor.name : typeof err;
      this.logger.warn({ errorClass }, 'could not remove the jobs of an erased patient');
    }
    await this.connections.revokeGrants(erased.grants);
  }
}
