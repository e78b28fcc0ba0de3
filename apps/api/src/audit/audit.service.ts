import { AuditLogEntry, AuditOutcome } from '@app/persistence';
import { HttpException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request } from 'express';
import { Repository } from 'typeorm';
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
  constructor() {
    super(404, 'No such patient, or it is not visible to this key');
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
    @InjectRepository(AuditLogEntry) private readonly entries: Repository<AuditLogEntry>,
  ) {}

  /** Patient id named by the route, when it is one (a malformed id is audited without it). */
  patientIdFromRequest(spec: AuditSpec, req: Request): string | null {
    if (typeof spec.patient !== 'object') return null;
    const value = req.params?.[spec.patient.param];
    return typeof value === 'string' && UUID.test(value) ? value : null;
  }

  async record(spec: AuditSpec, req: Request, facts: AuditFacts): Promise<void> {
    const caller = req.caller;
    await this.entries.insert({
      organizationId: facts.organizationId ?? caller?.organizationId ?? null,
      apiKeyId: facts.apiKeyId ?? caller?.keyId ?? null,
      actorRole: caller?.role ?? null,
      action: spec.action,
      patientId:
        facts.patientId !== undefined ? facts.patientId : this.patientIdFromRequest(spec, req),
      resourceId: null,
      outcome: facts.outcome,
      status: facts.status,
      requestId: requestIdOf(req) ?? null,
    });
  }
}
