import {
  IdempotencyRepository,
  type IdempotencyScope,
  KeyInFlightError,
  PLATFORM_ORGANIZATION_ID,
  type Tx,
} from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { ProblemException, validationProblem } from '../common/problem';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
// How long a second request with the key waits for the first one to finish (and then replays
// its answer) before answering 409: long enough for any write of this API, short enough not to
// hold a pooled connection for long.
export const IN_FLIGHT_WAIT_MS = 2000;

/** Whose Idempotency-Keys: the caller's key in its organization, or the operator's. */
export function idempotencyScope(caller: Caller | undefined): IdempotencyScope {
  return caller
    ? { organizationId: caller.organizationId, scope: caller.keyId }
    : { organizationId: PLATFORM_ORGANIZATION_ID, scope: 'operator' };
}

export type Claim = { replay: false } | { replay: true; body: unknown };

/**
 * Idempotency-Key bookkeeping, inside the caller's transaction: the key row commits (or
 * vanishes) with the record it guards.
 * - same key, same request, first one committed → its stored answer is replayed;
 * - same key, other request → 422;
 * - same key while the first is still running → wait for it (its uncommitted key row blocks
 *   ours) up to IN_FLIGHT_WAIT_MS, then replay its answer, or run if it failed; 409 with
 *   Retry-After if it is still running then.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly keys: IdempotencyRepository) {}

  /** The header's key, or null when there is none; 422 when it is malformed. */
  keyOf(header: string | string[] | undefined): string | null {
    if (header === undefined) return null;
    if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
      throw validationProblem([
        { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
      ]);
    }
    return header;
  }

  async claim(
    tx: Tx,
    scope: IdempotencyScope,
    key: string,
    path: string,
    requestHash: Buffer,
  ): Promise<Claim> {
    let stored;
    try {
      stored = await this.keys.claim(tx, { ...scope, key, path, requestHash }, IN_FLIGHT_WAIT_MS);
    } catch (err) {
      if (err instanceof KeyInFlightError) {
        throw new ProblemException(
          409,
          'A request with this Idempotency-Key is still being processed; retry shortly',
          { retryAfterSeconds: 1 },
        );
      }
      throw err;
    }
    if (stored === null) return { replay: false };
    if (!stored.requestHash.equals(requestHash)) {
      throw new ProblemException(
        422,
        'This Idempotency-Key was already used with a different request',
        {
          errors: [{ field: 'Idempotency-Key', message: 'was used for a different request' }],
        },
      );
    }
    return { replay: true, body: stored.responseBody };
  }

  complete(
    tx: Tx,
    scope: IdempotencyScope,
    key: string,
    status: number,
    body: unknown,
  ): Promise<void> {
    return this.keys.complete(tx, scope, key, status, body);
  }
}
