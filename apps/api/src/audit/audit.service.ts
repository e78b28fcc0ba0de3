import { Clock } from '@app/config';
import { AuditOutcome, AuditRepository, PLATFORM_ORGANIZATION_ID } from '@app/persistence';
import { HttpException, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { requestIdOf } from '../common/logging';
import { ProblemException } from '../common/problem';
import type { AuditSpec } from './audited.decorator';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AuditFacts {
  outcome: AuditOutcome;
  status: number;
  patientId?: string | null;
  apiKeyId?: string | null;
  organizationId?: string | null;
}

/** A 404 for a patient that exists but that the caller may not see: audited as a denial. */
export class PatientNotVisibleException extends ProblemException {
  constructor(detail = 'No such patient, or it is not visible to this key') {
    super(404, detail);
  }
}

export function outcomeFor(err: unknown): AuditOutcome {
  const status = statusOf(err);
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return err instanceof PatientNotVisibleException ? 'denied' : 'not_found';
  if (status < 500) return 'rejected';
  return 'error';
}

export function statusOf(err: unknown): number {
  return err instanceof HttpException ? err.getStatus() : 500;
}

@Injectable()
export class AuditService {
  constructor(
    private readonly entries: AuditRepository,
    private readonly clock: Clock,
  ) {}

  /** The patient a request is about, when the route names one (a malformed id names none). */
  async patientIdFromRequest(spec: AuditSpec, req: Request): Promise<string | null> {
    if (typeof spec.patient !== 'object' || 'result' in spec.patient) return null;
    const value = req.params?.[spec.patient.param];
    if (typeof value !== 'string' || !UUID.test(value)) return null;
    if (!('lookup' in spec.patient)) return value;
    return this.entries.patientOf(spec.patient.lookup, value);
  }

  async record(spec: AuditSpec, req: Request, facts: AuditFacts): Promise<void> {
    const caller = req.caller;
    await this.entries.record({
      occurredAt: this.clock.now(),
      // A call of no organization (unauthenticated, the operator's) is the platform's.
      organizationId: facts.organizationId ?? caller?.organizationId ?? PLATFORM_ORGANIZATION_ID,
      apiKeyId: facts.apiKeyId ?? caller?.keyId ?? null,
      actorRole: caller?.role ?? (req.operator ? 'operator' : null),
      action: spec.action,
      patientId:
        facts.patientId !== undefined
          ? facts.patientId
          : await this.patientIdFromRequest(spec, req),
      resourceId: null,
      outcome: facts.outcome,
      status: facts.status,
      requestId: requestIdOf(req) ?? null,
    });
  }
}
