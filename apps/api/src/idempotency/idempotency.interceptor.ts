import { Db } from '@app/persistence';
import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { from, lastValueFrom, Observable } from 'rxjs';
import { successStatus } from '../common/success-status';
import { canonicalJson } from './canonical-json';
import { IDEMPOTENCY_HEADER, IdempotencyService, idempotencyScope } from './idempotency.service';

const OWN_IDEMPOTENCY = 'sciatrack:own-idempotency';

/** For routes whose body is streamed: they hash the payload and claim the key themselves. */
export const HandlesOwnIdempotency = (): MethodDecorator => SetMetadata(OWN_IDEMPOTENCY, true);

/** Idempotency-Key for every POST: the key is claimed in the transaction the handler writes in. */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly db: Db,
    private readonly reflector: Reflector,
    private readonly idempotency: IdempotencyService,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request>();
    if (req.method !== 'POST' || this.reflector.get<boolean>(OWN_IDEMPOTENCY, ctx.getHandler())) {
      return next.handle();
    }
    const key = this.idempotency.keyOf(req.headers[IDEMPOTENCY_HEADER]);
    if (key === null) return next.handle();
    const res = ctx.switchToHttp().getResponse<Response>();
    const scope = idempotencyScope(req.caller);
    const path = req.originalUrl;
    const hash = createHash('sha256')
      .update(`POST ${path}\n${canonicalJson(req.body)}`)
      .digest();
    const status = successStatus(this.reflector, ctx);

    return from(
      this.db.transaction(async (manager) => {
        const claim = await this.idempotency.claim(manager, scope, key, path, hash);
        if (claim.replay) {
          res.setHeader('Idempotent-Replayed', 'true');
          return claim.body;
        }
        const result: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
        await this.idempotency.complete(manager, scope, key, status, result);
        return result;
      }),
    );
  }
}
