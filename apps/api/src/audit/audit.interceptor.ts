import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { successStatus } from '../common/success-status';
import { AUDIT_KEY, AuditSpec } from './audited.decorator';
import { AuditService, outcomeFor, statusOf } from './audit.service';

/**
 * Writes the audit row of every audited route before the answer leaves: if the row cannot be
 * written, the caller gets an error rather than unaudited patient data.
 * Requests turned away by the guard (401, 403) are audited by the guard itself.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<AuditSpec | undefined>(AUDIT_KEY, ctx.getHandler());
    if (!spec) return next.handle();
    const req = ctx.switchToHttp().getRequest<Request>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const declared = successStatus(this.reflector, ctx);
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        if (spec.success === 'handler') return result;
        // A handler that set its status itself (a FHIR 202) is audited with that status; the
        // others with their declared one, which Nest applies when it sends.
        const status = res.statusCode !== 200 ? res.statusCode : declared;
        const patientId =
          spec.patient === 'attached'
            ? (req.auditPatientId ?? null)
            : typeof spec.patient === 'object' && 'result' in spec.patient
              ? (((result as Record<string, unknown> | null)?.[spec.patient.result] as
                  string | undefined) ?? null)
              : undefined;
        await this.audit.record(spec, req, {
          outcome: 'success',
          status,
          patientId,
          ...(req.auditOrganizationId ? { organizationId: req.auditOrganizationId } : {}),
        });
        return result;
      }),
      catchError((err: unknown) => {
        const facts = {
          outcome: outcomeFor(err),
          status: statusOf(err),
          ...(spec.patient === 'attached' ? { patientId: req.auditPatientId ?? null } : {}),
          ...(req.auditOrganizationId ? { organizationId: req.auditOrganizationId } : {}),
        };
        return from(this.audit.record(spec, req, facts)).pipe(
          mergeMap(() => throwError(() => err)),
        );
      }),
    );
  }
}
