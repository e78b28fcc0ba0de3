import { Db, Organization } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import { ApiKeysService } from '../api-keys/api-keys.service';
import type { CreatedOrganizationDto, CreateOrganizationDto } from './organization.dto';

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly db: Db,
    private readonly apiKeys: ApiKeysService,
  ) {}

  private get organizations(): Repository<Organization> {
    return this.db.repo(Organization);
  }

  /** The organization and its first admin key commit together: no organization without a key. */
  async bootstrap(input: CreateOrganizationDto): Promise<CreatedOrganizationDto> {
    return this.db.transaction(async (manager) => {
      const organization = await manager.save(
        manager.create(Organization, { name: input.name, settings: {} }),
      );
      const key = await this.apiKeys.issue(manager, organization.id, {
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
