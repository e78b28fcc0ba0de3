import { Injectable } from '@nestjs/common';
import { Db, prepared, queryRows, runPrepared, type Tx } from '../db.service';
import { sqlState } from '../sql-errors';

const LOCK_NOT_AVAILABLE = '55P03';
const SET_LOCK_TIMEOUT = prepared(`SELECT set_config('lock_timeout', $1, true)`);
const CLAIM = prepared(
  `INSERT INTO idempotency_keys (organization_id, scope, key, method, path, request_hash)
   VALUES ($1, $2, $3, 'POST', $4, $5)
   ON CONFLICT (organization_id, scope, key) DO NOTHING RETURNING key`,
);
const COMPLETE = prepared(
  `UPDATE idempotency_keys SET response_status = $4, response_body = $5
   WHERE organization_id = $1 AND scope = $2 AND key = $3`,
);

/** A key already claimed by a request still running: its row is locked. */
export class KeyInFlightError extends Error {
  constructor() {
    super('the Idempotency-Key is held by a request still running');
  }
}

/** Whose keys: the API key's id in its organization, or `operator` in the platform's. */
export interface IdempotencyScope {
  organizationId: string;
  scope: string;
}

export interface StoredAnswer {
  requestHash: Buffer;
  responseBody: unknown;
}

/**
 * Idempotency-Key rows, written in the transaction of the record they guard: the key commits
 * (or vanishes) with it.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: Db) {}

  /**
   * Claims a key in `tx`, or answers what an earlier request with it stored. A request still
   * holding the key blocks the claim: waited for up to `waitMs`, then KeyInFlightError.
   */
  async claim(
    tx: Tx,
    key: IdempotencyScope & { key: string; path: string; requestHash: Buffer },
    waitMs: number,
  ): Promise<StoredAnswer | null> {
    await runPrepared(tx, SET_LOCK_TIMEOUT, [`${Math.trunc(waitMs)}ms`]);
    let claimed: unknown[];
    try {
      claimed = await runPrepared(tx, CLAIM, [
        key.organizationId,
        key.scope,
        key.key,
        key.path,
        key.requestHash,
      ]);
    } catch (err) {
      if (sqlState(err) === LOCK_NOT_AVAILABLE) throw new KeyInFlightError();
      throw err;
    }
    await runPrepared(tx, SET_LOCK_TIMEOUT, ['0']);
    if (claimed.length > 0) return null;
    const [stored] = await tx.query<{ request_hash: Buffer; response_body: unknown }[]>(
      `SELECT request_hash, response_body FROM idempotency_keys
       WHERE organization_id = $1 AND scope = $2 AND key = $3`,
      [key.organizationId, key.scope, key.key],
    );
    return { requestHash: stored.request_hash, responseBody: stored.response_body };
  }

  async complete(
    tx: Tx,
    scope: IdempotencyScope,
    key: string,
    status: number,
    body: unknown,
  ): Promise<void> {
    await runPrepared(tx, COMPLETE, [
      scope.organizationId,
      scope.scope,
      key,
      status,
      JSON.stringify(body ?? null),
    ]);
  }

  /** Forgets answers stored more than `hours` ago: the key may then be used afresh. */
  async purgeOlderThan(hours: number): Promise<number> {
    const rows = await queryRows(
      this.db.current,
      `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) RETURNING 1`,
      [hours],
    );
    return rows.length;
  }
}
