import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ApiPage } from '../common/openapi';
import { PageQueryDto, type Page } from '../common/pagination';
import { ClientAppDto, CreateClientAppDto } from './client-app.dto';
import { ClientAppsService } from './client-apps.service';

@ApiTags('Organization administration')
@Controller('v1/client-apps')
@Access(['admin'], 'org:manage')
export class ClientAppsController {
  constructor(private readonly apps: ClientAppsService) {}

  @Post()
  @ApiCreatedResponse({ type: ClientAppDto, description: 'The client app' })
  create(@CurrentCaller() caller: Caller, @Body() body: CreateClientAppDto): Promise<ClientAppDto> {
    return this.apps.create(caller, body);
  }

  @Get()
  @ApiPage(ClientAppDto, 'The organization’s client apps, oldest first')
  list(@CurrentCaller() caller: Caller, @Query() page: PageQueryDto): Promise<Page<ClientAppDto>> {
    return this.apps.list(caller, page);
  }
}
