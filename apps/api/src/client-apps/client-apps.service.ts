import { ClientApp, OrganizationsRepository } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { pageRequest, type Page, type PageQueryDto } from '../common/pagination';
import type { ClientAppDto, CreateClientAppDto } from './client-app.dto';

const toDto = ({ id, name, createdAt }: ClientApp): ClientAppDto => ({ id, name, createdAt });

@Injectable()
export class ClientAppsService {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async create(caller: Caller, input: CreateClientAppDto): Promise<ClientAppDto> {
    return toDto(await this.organizations.insertClientApp(caller.organizationId, input.name));
  }

  async list(caller: Caller, page: PageQueryDto): Promise<Page<ClientAppDto>> {
    const result = await this.organizations.clientAppPage(caller.organizationId, pageRequest(page));
    return { data: result.data.map(toDto), nextCursor: result.nextCursor };
  }
}
