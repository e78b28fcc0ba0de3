import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { ApiPage } from '../common/openapi';
import { PageQueryDto, type Page } from '../common/pagination';
import { ApiKeyDto, CreateApiKeyDto, IssuedApiKeyDto } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';

@ApiTags('Organization administration')
@Controller('v1/api-keys')
@Access(['admin'], 'org:manage')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiCreatedResponse({
    type: IssuedApiKeyDto,
    description: 'The key; `key` is shown only in this answer',
  })
  create(@CurrentCaller() caller: Caller, @Body() body: CreateApiKeyDto): Promise<IssuedApiKeyDto> {
    return this.apiKeys.create(caller, body);
  }

  @Get()
  @ApiPage(ApiKeyDto, 'The organization’s keys, revoked ones included (never their secret)')
  list(@CurrentCaller() caller: Caller, @Query() page: PageQueryDto): Promise<Page<ApiKeyDto>> {
    return this.apiKeys.list(caller, page);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked: the key is refused (401) from now on' })
  async revoke(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('API key')) id: string,
  ): Promise<void> {
    await this.apiKeys.revoke(caller, id);
  }
}
