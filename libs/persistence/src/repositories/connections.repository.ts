import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Db, queryRows, type Executor, type Tx } from '../db.service';

export type WearableProvider = 'google-health' | 'withings';
export type ConnectionStatus = 'pending' | 'connected' | 'error' | 'revoked';

/** A connection as the API shows it: no token, no cursor. */
export interface ConnectionView {
  id: string;
  organizationId: string;
  patientId: string;
  provider: WearableProvider;
  status: ConnectionStatus;
  lastSyncAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  connectedAt: Date | null;
  revokedAt: Date | null;
}

/** A connection as the worker holds it under its lease: sealed tokens and the cursor. */
export interface LeasedConnection extends ConnectionView {
  providerUserId: string | null;
  accessToken: Buffer | null;
  refreshToken: Buffer | null;
  tokenExpiresAt: Date | null;
  cursor: Record<string, unknown>;
  backfilledAt: Date | null;
  timezone: string;
}

const VIEW = `c.id, c.organization_id AS "organizationId", c.patient_id AS "patientId", c.provider, c.status,
  c.last_sync_at AS "lastSyncAt", c.last_error AS "lastError", c.created_at AS "createdAt",
  c.connected_at AS "connectedAt", c.revoked_at AS "revokedAt"`;
const LEASED = `${VIEW}, c.provider_user_id AS "providerUserId", c.access_token AS "accessToken",
  c.refresh_token AS "refreshToken", c.token_expires_at AS "tokenExpiresAt", c.cursor,
  c.backfilled_at AS "backfilledAt"`;

/**
 * Connections to wearable clouds and their OAuth states (see the WearableConnections migration).
 * Tokens come and go sealed (WebhookSecrets); this repository never sees them in the clear.
 */
@Injectable()
export class ConnectionsRepository {
  constructor(private readonly db: Db) {}

  /**
   * A pending connection and its OAuth state, replacing a pending one of the same patient and
   * provider (a flow begun and abandoned). Null when one is connected or in error: it must be
   * deleted first.
   */
  async createPending(
    row: {
      organizationId: string;
      patientId: string;
      provider: WearableProvider;
      createdByKeyId: string;
    },
    state: { hash: Buffer; sealedVerifier: Buffer; ttlMs: number },
  ): Promise<ConnectionView | null> {
    return this.db.transaction(async (tx) => {
      const live = await queryRows<{ id: string; status: ConnectionStatus; wasConnected: boolean }>(
        tx,
        `SELECT id, status, connected_at IS NOT NULL AS "wasConnected" FROM wearable_connections
         WHERE organization_id = $1 AND patient_id = $2 AND provider = $3
           AND status IN ('pending', 'connected', 'error') FOR UPDATE`,
        [row.organizationId, row.patientId, row.provider],
      );
      // A flow begun and abandoned, or refused before it connected, is replaced; an account
      // that was connected must be deleted first (its grant revoked at the provider).
      if (live.some((c) => c.status === 'connected' || c.wasConnected)) return null;
      if (live.length > 0) {
        await tx.query(
          `UPDATE wearable_connections SET status = 'revoked', revoked_at = now(), updated_at = now()
           WHERE organization_id = $1 AND id = ANY($2::uuid[])`,
          [row.organizationId, live.map((c) => c.id)],
        );
      }
      const [created] = await queryRows<ConnectionView>(
        tx,
        `INSERT INTO wearable_connections AS c (id, organization_id, patient_id, provider, created_by_key_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING ${VIEW}`,
        [randomUUID(), row.organizationId, row.patientId, row.provider, row.createdByKeyId],
      );
      await tx.query(
        `INSERT INTO oauth_states (organization_id, state_hash, connection_id, code_verifier, expires_at)
         VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')`,
        [row.organizationId, state.hash, created.id, state.sealedVerifier, state.ttlMs],
      );
      return created;
    });
  }

  /**
   * Takes an OAuth state once: the pending connection it was made for and its sealed PKCE
   * verifier, or null when the state is unknown, used, expired, or its connection is no longer
   * pending. A state is spent even when the exchange that follows fails.
   */
  async takeState(
    tx: Tx,
    stateHash: Buffer,
    provider: WearableProvider,
  ): Promise<{ connection: ConnectionView; sealedVerifier: Buffer } | null> {
    const [row] = await queryRows<ConnectionView & { sealedVerifier: Buffer }>(
      tx,
      `WITH taken AS (
         UPDATE oauth_states SET used_at = now()
         WHERE state_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING organization_id, connection_id, code_verifier)
       SELECT ${VIEW}, t.code_verifier AS "sealedVerifier"
       FROM taken t
       JOIN wearable_connections c ON c.organization_id = t.organization_id AND c.id = t.connection_id
       WHERE c.provider = $2 AND c.status = 'pending'`,
      [stateHash, provider],
    );
    if (!row) return null;
    const { sealedVerifier, ...connection } = row;
    return { connection, sealedVerifier };
  }

  /** Connects a pending connection; false when it is no longer pending (deleted, replaced). */
  async markConnected(
    on: Executor,
    id: string,
    tokens: {
      providerUserId: string;
      accessToken: Buffer;
      refreshToken: Buffer;
      expiresAt: Date;
      scope: string | null;
    },
  ): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      on,
      `UPDATE wearable_connections SET status = 'connected', provider_user_id = $2, access_token = $3,
         refresh_token = $4, token_expires_at = $5, scope = $6, connected_at = now(), updated_at = now(),
         last_error = NULL, cursor = '{}'
       WHERE id = $1 AND status = 'pending'
       RETURNING id`,
      [
        id,
        tokens.providerUserId,
        tokens.accessToken,
        tokens.refreshToken,
        tokens.expiresAt,
        tokens.scope,
      ],
    );
    return rows.length > 0;
  }

  async markError(id: string, reason: string): Promise<void> {
    await this.db.current.query(
      `UPDATE wearable_connections SET status = 'error', last_error = $2, updated_at = now(),
         lease_owner = NULL, lease_until = NULL
       WHERE id = $1 AND status IN ('pending', 'connected')`,
      [id, reason],
    );
  }

  /** A patient's connections, newest first. */
  async forPatient(organizationId: string, patientId: string): Promise<ConnectionView[]> {
    return queryRows<ConnectionView>(
      this.db.current,
      `SELECT ${VIEW} FROM wearable_connections c
       WHERE c.organization_id = $1 AND c.patient_id = $2 ORDER BY c.created_at DESC, c.id`,
      [organizationId, patientId],
    );
  }

  /** A connection of the organization by id (its patient's visibility is the caller's to check). */
  async find(organizationId: string, id: string): Promise<ConnectionView | null> {
    const [row] = await queryRows<ConnectionView>(
      this.db.current,
      `SELECT ${VIEW} FROM wearable_connections c WHERE c.organization_id = $1 AND c.id = $2`,
      [organizationId, id],
    );
    return row ?? null;
  }

  /**
   * Marks a connection revoked, its tokens wiped, and answers what revoking at the provider needs
   * (the tokens as they were), or null when it was revoked already.
   */
  async revoke(id: string): Promise<{
    provider: WearableProvider;
    providerUserId: string | null;
    accessToken: Buffer | null;
    refreshToken: Buffer | null;
  } | null> {
    const [row] = await queryRows<{
      provider: WearableProvider;
      providerUserId: string | null;
      accessToken: Buffer | null;
      refreshToken: Buffer | null;
    }>(
      this.db.current,
      `WITH old AS (SELECT id, provider, provider_user_id, access_token, refresh_token
                    FROM wearable_connections WHERE id = $1 AND status <> 'revoked' FOR UPDATE)
       UPDATE wearable_connections c SET status = 'revoked', revoked_at = now(), updated_at = now(),
         access_token = NULL, refresh_token = NULL, lease_owner = NULL, lease_until = NULL
       FROM old WHERE c.id = old.id
       RETURNING old.provider, old.provider_user_id AS "providerUserId",
                 old.access_token AS "accessToken", old.refresh_token AS "refreshToken"`,
      [id],
    );
    return row ?? null;
  }

  // ---- the worker's side ------------------------------------------------------------------

  /**
   * Takes the lease of a connected connection for `ms`, unless another worker holds it or the
   * provider asked to wait (`retry_at`). Answers the connection with its patient's time zone.
   */
  async lease(id: string, owner: string, ms: number): Promise<LeasedConnection | null> {
    const [row] = await queryRows<LeasedConnection>(
      this.db.current,
      `UPDATE wearable_connections c SET lease_owner = $2, lease_until = now() + $3 * interval '1 millisecond'
       FROM patients p
       WHERE c.id = $1 AND c.status = 'connected' AND p.organization_id = c.organization_id AND p.id = c.patient_id
         AND (c.lease_until IS NULL OR c.lease_until < now() OR c.lease_owner = $2)
         AND (c.retry_at IS NULL OR c.retry_at <= now())
       RETURNING ${LEASED}, p.timezone`,
      [id, owner, ms],
    );
    return row ?? null;
  }

  /**
   * How long a connected connection stays out of reach (another worker's lease, or a wait the
   * provider asked for), in the database's time; 0 when it can be taken; null when it is not
   * connected.
   */
  async blockedMs(id: string): Promise<number | null> {
    const [row] = await queryRows<{ ms: number }>(
      this.db.current,
      `SELECT greatest(0, extract(epoch FROM (greatest(lease_until, retry_at) - now())) * 1000)::int AS ms
       FROM wearable_connections WHERE id = $1 AND status = 'connected'`,
      [id],
    );
    return row ? (row.ms ?? 0) : null;
  }

  /**
   * Gives a lease back. `outcome`: `ok` (pulled: failures forgotten), `wait` (the provider asked
   * to wait `waitMs`), or `failed` (another failure in a row: no pull before a back-off of 1, 2,
   * 4… minutes, at most an hour). Times are the database's.
   */
  async release(
    id: string,
    owner: string,
    outcome:
      | { kind: 'ok' }
      | { kind: 'wait'; waitMs: number; error: string | null }
      | { kind: 'failed'; error: string },
  ): Promise<void> {
    const params: unknown[] = [id, owner];
    let set: string;
    if (outcome.kind === 'ok') {
      set = 'retry_at = NULL, failures = 0';
    } else if (outcome.kind === 'wait') {
      params.push(outcome.waitMs, outcome.error);
      set = `retry_at = now() + $3 * interval '1 millisecond', last_error = coalesce($4, last_error)`;
    } else {
      params.push(outcome.error);
      set = `failures = failures + 1, last_error = $3,
             retry_at = now() + least(interval '1 hour', interval '1 minute' * power(2, least(failures, 6)))`;
    }
    await this.db.current.query(
      `UPDATE wearable_connections SET lease_owner = NULL, lease_until = NULL, updated_at = now(), ${set}
       WHERE id = $1 AND lease_owner = $2`,
      params,
    );
  }

  /** Extends a lease still held by `owner` (before a long call); false when it was lost. */
  async extend(id: string, owner: string, ms: number): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.db.current,
      `UPDATE wearable_connections SET lease_until = now() + $3 * interval '1 millisecond'
       WHERE id = $1 AND lease_owner = $2 AND status = 'connected' RETURNING id`,
      [id, owner, ms],
    );
    return rows.length > 0;
  }

  /**
   * Keeps refreshed tokens, whoever holds the lease now: Withings invalidates the old refresh
   * token, so losing the new one would lose the grant. Only over the refresh token they replace
   * (a compare-and-set): false when another refresh came first.
   */
  async saveTokens(
    id: string,
    replaced: Buffer,
    tokens: { accessToken: Buffer; refreshToken: Buffer; expiresAt: Date },
  ): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.db.current,
      `UPDATE wearable_connections SET access_token = $3, refresh_token = $4, token_expires_at = $5,
         updated_at = now()
       WHERE id = $1 AND status = 'connected' AND refresh_token = $2 RETURNING id`,
      [id, replaced, tokens.accessToken, tokens.refreshToken, tokens.expiresAt],
    );
    return rows.length > 0;
  }

  /** The sealed refresh token stored now (after a refused refresh: did another one rotate it?). */
  async refreshToken(id: string): Promise<Buffer | null> {
    const [row] = await queryRows<{ token: Buffer | null }>(
      this.db.current,
      `SELECT refresh_token AS token FROM wearable_connections WHERE id = $1 AND status = 'connected'`,
      [id],
    );
    return row?.token ?? null;
  }

  /**
   * Moves the cursor past a page, in the transaction that stored the page, if the lease is
   * still `owner`'s (and extends it by `leaseMs`): false when it was lost, and the page must
   * roll back.
   */
  async advance(
    tx: Tx,
    id: string,
    owner: string,
    cursor: Record<string, unknown>,
    done: { backfilled?: boolean; synced?: boolean },
    leaseMs: number,
  ): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      tx,
      `UPDATE wearable_connections SET cursor = $3, updated_at = now(),
         lease_until = now() + $6 * interval '1 millisecond',
         backfilled_at = CASE WHEN $4 THEN coalesce(backfilled_at, now()) ELSE backfilled_at END,
         last_sync_at = CASE WHEN $5 THEN now() ELSE last_sync_at END,
         last_error = CASE WHEN $5 THEN NULL ELSE last_error END,
         failures = CASE WHEN $5 THEN 0 ELSE failures END
       WHERE id = $1 AND lease_owner = $2 AND lease_until > now() AND status = 'connected'
       RETURNING id`,
      [id, owner, JSON.stringify(cursor), done.backfilled ?? false, done.synced ?? false, leaseMs],
    );
    return rows.length > 0;
  }

  /**
   * The connected connections not pulled for `everyMs` (the scheduler), oldest pull first, that
   * no worker holds and no provider asked to wait for.
   */
  async due(everyMs: number, limit: number): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.db.current,
      `SELECT id FROM wearable_connections
       WHERE status = 'connected'
         AND (last_sync_at IS NULL OR last_sync_at < now() - $1 * interval '1 millisecond')
         AND (lease_until IS NULL OR lease_until < now())
         AND (retry_at IS NULL OR retry_at <= now())
       ORDER BY last_sync_at NULLS FIRST LIMIT $2`,
      [everyMs, limit],
    );
    return rows.map((r) => r.id);
  }

  /** A connected connection's provider and account, for checking a notification against. */
  async notifyTarget(
    id: string,
  ): Promise<{ provider: WearableProvider; providerUserId: string | null } | null> {
    const [row] = await queryRows<{ provider: WearableProvider; providerUserId: string | null }>(
      this.db.current,
      `SELECT provider, provider_user_id AS "providerUserId" FROM wearable_connections
       WHERE id = $1 AND status = 'connected'`,
      [id],
    );
    return row ?? null;
  }

  /**
   * Tidies the OAuth flows: states used or expired a day ago go (they hold sealed verifiers),
   * and connections left pending past their state's life turn to `error` (the patient never
   * came back; a new POST replaces them). Answers how many of each.
   */
  async tidy(): Promise<{ states: number; abandoned: number }> {
    const states = await queryRows<{ n: number }>(
      this.db.current,
      `WITH gone AS (DELETE FROM oauth_states
                     WHERE coalesce(used_at, expires_at) < now() - interval '1 day' RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
    );
    const abandoned = await queryRows<{ n: number }>(
      this.db.current,
      `WITH left_ AS (
         UPDATE wearable_connections c SET status = 'error', updated_at = now(),
           last_error = 'the patient did not complete the consent in time'
         WHERE c.status = 'pending'
           AND NOT EXISTS (SELECT 1 FROM oauth_states s WHERE s.organization_id = c.organization_id
                             AND s.connection_id = c.id AND s.expires_at > now())
           AND c.created_at < now() - interval '15 minutes'
         RETURNING 1)
       SELECT count(*)::int AS n FROM left_`,
    );
    return { states: states[0].n, abandoned: abandoned[0].n };
  }
}
