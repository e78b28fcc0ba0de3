import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import {
  OrganizationSettingsDto,
  UpdateOrganizationSettingsDto,
} from './organization-settings.dto';
import { OrganizationSettingsService } from './organization-settings.service';

@ApiTags('Organization administration')
@Controller('v1/organization/settings')
@Access(['admin'], 'org:manage')
export class OrganizationSettingsController {
  constructor(private readonly settings: OrganizationSettingsService) {}

  @Get()
  @ApiOperation({ summary: 'The organization’s clinical rule thresholds (defaults and overrides)' })
  @ApiOkResponse({ type: OrganizationSettingsDto, description: 'The settings in force' })
  get(@CurrentCaller() caller: Caller): Promise<OrganizationSettingsDto> {
    return this.settings.get(caller);
  }

  @Put()
  @ApiOperation({ summary: 'Replace the organization’s overrides of the configurable thresholds' })
  @ApiOkResponse({ type: OrganizationSettingsDto, description: 'The settings now in force' })
  update(
    @CurrentCaller() caller: Caller,
    @Body() body: UpdateOrganizationSettingsDto,
  ): Promise<OrganizationSettingsDto> {
    return this.settings.updateRules(caller, body.rules, body.rtm, body.retention);
  }
}
