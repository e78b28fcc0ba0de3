import { resolveScopes } from '@app/domain';
import { ApiKey, ApiKeysRepository, Db, OrganizationsRepository, type Tx } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { issueToken } from '../auth/api-key-token';
import { notFound, validationProblem } from '../common/problem';
import { pageRequest, type Page, type PageQueryDto } from '../common/pagination';
import type { ApiKeyDto, CreateApiKeyDto, IssuedApiKeyDto } from './api-key.dto';
import { ApiKeyCache } from '../auth/api-key-cache.service';

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
  constructor(
    private readonly db: Db,
    private readonly keys: ApiKeysRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly cache: ApiKeyCache,
  ) {}

  /** Creates a key in the caller's transaction; the token is returned once and never stored. */
  async issue(tx: Tx, organizationId: string, input: CreateApiKeyDto): Promise<IssuedApiKeyDto> {
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
      !(await this.organizations.hasClinician(organizationId, input.clinicianId, tx))
    ) {
      errors.push({ field: 'clinicianId', message: 'names no clinician of this organization' });
    }
    if (
      input.clientAppId &&
      !(await this.organizations.hasClientApp(organizationId, input.clientAppId, tx))
    ) {
      errors.push({ field: 'clientAppId', message: 'names no client app of this organization' });
    }
    if (errors.length) throw validationProblem(errors);

    const issued = issueToken();
    const saved = await this.keys.insert(tx, {
      organizationId,
      name: input.name,
      role: input.role,
      scopes,
      clinicianId: input.clinicianId ?? null,
      clientAppId: input.clientAppId ?? null,
      prefix: issued.prefix,
      secretHash: issued.secretHash,
    });
    return { ...toApiKeyDto(saved), key: issued.token };
  }

  async create(caller: Caller, input: CreateApiKeyDto): Promise<IssuedApiKeyDto> {
    return this.db.transaction((tx) => this.issue(tx, caller.organizationId, input));
  }

  async list(caller: Caller, page: PageQueryDto): Promise<Page<ApiKeyDto>> {
    const result = await this.keys.page(caller.organizationId, pageRequest(page));
    return { data: result.data.map(toApiKeyDto), nextCursor: result.nextCursor };
  }

  async revoke(caller: Caller, id: string): Promise<void> {
    if (!(await this.keys.revoke(caller.organizationId, id))) throw notFound('API key');
    // Other processes hear of it at commit; this one need not wait for the notification.
    this.cache.forgetAll();
  }
}
