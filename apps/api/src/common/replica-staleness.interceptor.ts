import { ReadReplica } from '@app/persistence';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';

/**
 * On an answer read (in part) from the read replica: at most how many milliseconds of the
 * primary's latest writes it may miss (docs/read-replica.md). Absent, the answer was read from
 * the primary.
 */
export const STALENESS_HEADER = 'X-Data-Staleness-Ms';

@Injectable()
export class ReplicaStalenessInterceptor implements NestInterceptor {
  constructor(private readonly replica: ReadReplica) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.replica.configured) return next.handle();
    const res = ctx.switchToHttp().getResponse<Response>();
    return from(
      this.replica.tracking(
        () => lastValueFrom<unknown, undefined>(next.handle(), { defaultValue: undefined }),
        (stalenessMs) => res.setHeader(STALENESS_HEADER, String(Math.ceil(stalenessMs))),
      ),
    );
  }
}
