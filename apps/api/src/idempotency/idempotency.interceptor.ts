import { Db } from '@app/persistence';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { from, lastValueFrom, Observable } from 'rxjs';
import { ProblemException, validationProblem } from '../common/problem';
import { successStatus } from '../common/success-status';
import { canonicalJson } from './canonical-json';

const HEADER = 'idempotency-key';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
// How long a second request waits for the first one's transaction before answering 409.
const IN_FLIGHT_WAIT_MS = 200;

interface StoredAnswer {
  request_hash: Buffer;
  response_status: number;
  response_body: unknown;
}

/**
 * Idempotency-Key for every POST. The key row is inserted in the same transaction as the
 * record it guards, so the key and the record commit (or vanish) together:
 * - same key, same request, first one committed → its stored answer is replayed;
 * - same key, other request → 422;
 * - same key while the first is still running → 409 (its uncommitted key row blocks ours).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly db: Db,
    private readonly reflector: Reflector,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request>();
    if (req.method !== 'POST' || req.headers[HEADER] === undefined) return next.handle();
    const key = req.headers[HEADER];
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw validationProblem([
        { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
      ]);
    }
    const res = ctx.switchToHttp().getResponse<Response>();
    const scope = req.caller?.keyId ?? 'operator';
    const path = req.originalUrl;
    const hash = createHash('sha256')
      .update(`POST ${path}\n${canonicalJson(req.body)}`)
      .digest();
    const status = successStatus(this.reflector, ctx);

    return from(
      this.db.transaction(async (manager) => {
        await manager.query(`SET LOCAL lock_timeout = '${IN_FLIGHT_WAIT_MS}ms'`);
        let claimed: unknown[];
        try {
          claimed = await manager.query(
            `INSERT INTO idempotency_keys (scope, key, method, path, request_hash)
             VALUES ($1, $2, 'POST', $3, $4) ON CONFLICT DO NOTHING RETURNING key`,
            [scope, key, path, hash],
          );
        } catch (err) {
          if ((err as { code?: string }).code === '55P03') {
            throw new ProblemException(
              409,
              'A request with this Idempotency-Key is still being processed; retry shortly',
            );
          }
          throw err;
        }
        await manager.query(`SET LOCAL lock_timeout = 0`);

        if (claimed.length === 0) {
          const [stored] = await manager.query<StoredAnswer[]>(
            `SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2`,
            [scope, key],
          );
          if (!stored.request_hash.equals(hash)) {
            throw new ProblemException(
              422,
              'This Idempotency-Key was already used with a different request',
              {
                errors: [{ field: 'Idempotency-Key', message: 'was used for a different request' }],
              },
            );
          }
          res.setHeader('Idempotent-Replayed', 'true');
          return stored.response_body;
        }

        const result: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
        await manager.query(
          `UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE scope = $1 AND key = $2`,
          [scope, key, status, JSON.stringify(result ?? null)],
        );
        return result;
      }),
    );
  }
}
