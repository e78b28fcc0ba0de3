import { ClientApp, Db } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import type { Caller } from '../auth/caller';
import { paginate, type Page, type PageQueryDto } from '../common/pagination';
import type { ClientAppDto, CreateClientAppDto } from './client-app.dto';

const toDto = ({ id, name, createdAt }: ClientApp): ClientAppDto => ({ id, name, createdAt });

@Injectable()
export class ClientAppsService {
  constructor(private readonly db: Db) {}

  private get apps(): Repository<ClientApp> {
    return this.db.repo(ClientApp);
  }

  async create(caller: Caller, input: CreateClientAppDto): Promise<ClientAppDto> {
    return toDto(
      await this.apps.save(
        this.apps.create({ organizationId: caller.organizationId, name: input.name }),
      ),
    );
  }

  async list(caller: Caller, page: PageQueryDto): Promise<Page<ClientAppDto>> {
    const qb = this.apps
      .createQueryBuilder('a')
      .where('a.organization_id = :org', { org: caller.organizationId });
    const result = await paginate(qb, page);
    return { data: result.data.map(toDto), nextCursor: result.nextCursor };
  }
}
