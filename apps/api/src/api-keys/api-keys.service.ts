import { resolveScopes } from '@app/domain';
import { ApiKey, ClientApp, Clinician, Db } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { EntityManager, Repository } from 'typeorm';
import type { Caller } from '../auth/caller';
import { issueToken } from '../auth/api-key-token';
import { notFound, validationProblem } from '../common/problem';
import { paginate, type Page, type PageQueryDto } from '../common/pagination';
import type { ApiKeyDto, CreateApiKeyDto, IssuedApiKeyDto } from './api-key.dto';

export function toApiKeyDto(key: ApiKey): ApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    scopes: key.scopes,
    prefix: key.prefix,
    clinicianId: key.clinicianId,
    clientAppId: key.clientAppId,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
    revokedAt: key.revokedAt,
  };
}

@Injectable()
export class ApiKeysService {
  constructor(private readonly db: Db) {}

  private get keys(): Repository<ApiKey> {
    return this.db.repo(ApiKey);
  }

  /** Creates a key in the caller's transaction; the token is returned once and never stored. */
  async issue(
    manager: EntityManager,
    organizationId: string,
    input: CreateApiKeyDto,
  ): Promise<IssuedApiKeyDto> {
    const { scopes, refused } = resolveScopes(input.role, input.scopes);
    const errors = [];
    if (refused.length)
      errors.push({
        field: 'scopes',
        message: `a ${input.role} key cannot hold ${refused.join(', ')}`,
      });
    if (input.role === 'clinician' && !input.clinicianId)
      errors.push({ field: 'clinicianId', message: 'is required for a clinician key' });
    if (input.role !== 'clinician' && input.clinicianId)
      errors.push({ field: 'clinicianId', message: 'is only for clinician keys' });
    if (input.role === 'app' && !input.clientAppId)
      errors.push({ field: 'clientAppId', message: 'is required for an app key' });
    if (input.role !== 'app' && input.clientAppId)
      errors.push({ field: 'clientAppId', message: 'is only for app keys' });
    if (
      input.clinicianId &&
      !(await manager.existsBy(Clinician, { id: input.clinicianId, organizationId }))
    ) {
      errors.push({ field: 'clinicianId', message: 'names no clinician of this organization' });
    }
    if (
      input.clientAppId &&
      !(await manager.existsBy(ClientApp, { id: input.clientAppId, organizationId }))
    ) {
      errors.push({ field: 'clientAppId', message: 'names no client app of this organization' });
    }
    if (errors.length) throw validationProblem(errors);

    const issued = issueToken();
    const key = manager.create(ApiKey, {
      organizationId,
      name: input.name,
      role: input.role,
      scopes,
      clinicianId: input.clinicianId ?? null,
      clientAppId: input.clientAppId ?? null,
      prefix: issued.prefix,
      secretHash: issued.secretHash,
    });
    const saved = await manager.save(key);
    return { ...toApiKeyDto(saved), key: issued.token };
  }

  async create(caller: Caller, input: CreateApiKeyDto): Promise<IssuedApiKeyDto> {
    return this.db.transaction((manager) => this.issue(manager, caller.organizationId, input));
  }

  async list(caller: Caller, page: PageQueryDto): Promise<Page<ApiKeyDto>> {
    const qb = this.keys
      .createQueryBuilder('k')
      .where('k.organization_id = :org', { org: caller.organizationId });
    const result = await paginate(qb, page);
    return { data: result.data.map(toApiKeyDto), nextCursor: result.nextCursor };
  }

  async revoke(caller: Caller, id: string): Promise<void> {
    const result = await this.keys
      .createQueryBuilder()
      .update(ApiKey)
      .set({ revokedAt: () => 'COALESCE(revoked_at, now())' })
      .where('id = :id AND organization_id = :org', { id, org: caller.organizationId })
      .execute();
    if (!result.affected) throw notFound('API key');
  }
}
