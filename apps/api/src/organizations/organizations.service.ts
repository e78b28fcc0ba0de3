import { Db, OrganizationsRepository } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import type { CreatedOrganizationDto, CreateOrganizationDto } from './organization.dto';

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly db: Db,
    private readonly apiKeys: ApiKeysService,
    private readonly organizations: OrganizationsRepository,
  ) {}

  /** The organization and its first admin key commit together: no organization without a key. */
  async bootstrap(input: CreateOrganizationDto): Promise<CreatedOrganizationDto> {
    return this.db.transaction(async (tx) => {
      const organization = await this.organizations.createOrganization(tx, input.name);
      const key = await this.apiKeys.issue(tx, organization.id, {
        name: 'First admin key',
        role: 'admin',
      });
      return {
        id: organization.id,
        name: organization.name,
        adminKey: key.key,
        adminKeyId: key.id,
      };
    });
  }
}
