import type { Role, Scope } from '@app/domain';
import { AppConfig } from '@app/config';
import { Injectable } from '@nestjs/common';
import { Db, prepared, queryRows, runPrepared, type Tx } from '../db.service';
import { ApiKey } from '../entities';
import { listenOn, type Listener } from '../listen';
import { keysetPage, type KeysetPage, type PageRequest } from '../keyset-page';

// last_used_at is a hint for key hygiene, not an access log: one write a minute per key is plenty.
const LAST_USED_RESOLUTION = '1 minute';

/**
 * The key whose prefix and secret hash match, stamping its last use in the same statement (at
 * most once a minute): authentication is one round trip. A wrong secret finds nothing and
 * stamps nothing.
 */
const AUTHENTICATE = prepared(`
  WITH found AS (
    SELECT id, organization_id, role, scopes, clinician_id, client_app_id, revoked_at, last_used_at
    FROM api_keys WHERE prefix = $1 AND secret_hash = $2
  ), stamped AS (
    UPDATE api_keys k SET last_used_at = now()
    FROM found f
    WHERE k.organization_id = f.organization_id AND k.id = f.id AND f.revoked_at IS NULL
      AND (f.last_used_at IS NULL OR f.last_used_at < now() - interval '${LAST_USED_RESOLUTION}')
  )
  SELECT id, organization_id, role, scopes, clinician_id, client_app_id, revoked_at FROM found`);

export interface AuthenticatedKey {
  id: string;
  organizationId: string;
  role: Role;
  scopes: Scope[];
  clinicianId: string | null;
  clientAppId: string | null;
  revokedAt: Date | null;
}

export type NewApiKey = Pick<
  ApiKey,
  | 'organizationId'
  | 'name'
  | 'role'
  | 'scopes'
  | 'clinicianId'
  | 'clientAppId'
  | 'prefix'
  | 'secretHash'
>;

/** Where a change to a key is told (see the ApiKeyChanges migration); it carries nothing. */
export const API_KEYS_CHANNEL = 'sciatrack_api_keys';

/** API keys: issued, listed, revoked, and looked up on every request. */
@Injectable()
export class ApiKeysRepository {
  constructor(
    private readonly db: Db,
    private readonly config: AppConfig,
  ) {}

  /**
   * LISTENs for changes to any key that alter what it may do (revocation, role, scopes,
   * deletion): told at commit by a trigger, whichever statement made them.
   */
  listenForChanges(onChange: () => void, onLost: () => void): Promise<Listener> {
    return listenOn(this.config.DATABASE_URL, API_KEYS_CHANNEL, onChange, onLost);
  }

  async authenticate(prefix: string, secretHash: Buffer): Promise<AuthenticatedKey | null> {
    const [row] = await runPrepared<{
      id: string;
      organization_id: string;
      role: Role;
      scopes: Scope[];
      clinician_id: string | null;
      client_app_id: string | null;
      revoked_at: Date | null;
    }>(this.db.current, AUTHENTICATE, [prefix, secretHash]);
    return row
      ? {
          id: row.id,
          organizationId: row.organization_id,
          role: row.role,
          scopes: row.scopes,
          clinicianId: row.clinician_id,
          clientAppId: row.client_app_id,
          revokedAt: row.revoked_at,
        }
      : null;
  }

  insert(tx: Tx, key: NewApiKey): Promise<ApiKey> {
    return tx.save(tx.create(ApiKey, key));
  }

  page(organizationId: string, page: PageRequest): Promise<KeysetPage<ApiKey>> {
    const qb = this.db.current
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.organization_id = :org', { org: organizationId });
    return keysetPage(qb, page);
  }

  /** Revokes a key of the organization (a second revocation keeps the first time); false if none. */
  async revoke(organizationId: string, id: string): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.db.current,
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
       WHERE id = $1 AND organization_id = $2 RETURNING id`,
      [id, organizationId],
    );
    return rows.length > 0;
  }
}
