import {
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Injectable,
  NestInterceptor,
  RequestMethod,
} from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
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
    const successStatus = this.successStatus(ctx);
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        const patientId =
          spec.patient === 'result' ? ((result as { id?: string } | null)?.id ?? null) : undefined;
        await this.audit.record(spec, req, {
          outcome: 'success',
          status: successStatus,
          patientId,
        });
        return result;
      }),
      catchError((err: unknown) => {
        const facts = { outcome: outcomeFor(err), status: statusOf(err) };
        return from(this.audit.record(spec, req, facts)).pipe(
          mergeMap(() => throwError(() => err)),
        );
      }),
    );
  }

  private successStatus(ctx: ExecutionContext): number {
    const declared = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler());
    if (declared) return declared;
    const method = this.reflector.get<RequestMethod | undefined>(METHOD_METADATA, ctx.getHandler());
    return method === RequestMethod.POST ? HttpStatus.CREATED : HttpStatus.OK;
  }
}
