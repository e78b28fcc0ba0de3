import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { pageSchema, type Page } from '../common/pagination';
import { AlertDto, AlertQueryDto } from './alert.dto';
import { AlertsService } from './alerts.service';

@ApiTags('Alerts')
@ApiExtraModels(AlertDto)
@Controller('v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @Access(['admin', 'clinician'], 'alerts:read')
  @Audited('alert.list', 'none')
  @ApiOperation({
    summary: 'Alerts of the patients the key may see, oldest first, with filters',
  })
  @ApiOkResponse({ schema: pageSchema(getSchemaPath(AlertDto)) })
  list(@CurrentCaller() caller: Caller, @Query() query: AlertQueryDto): Promise<Page<AlertDto>> {
    return this.alerts.list(caller, query);
  }

  @Get(':id')
  @Access(['admin', 'clinician'], 'alerts:read')
  @Audited('alert.read', { lookup: 'alerts', param: 'id' })
  @ApiOkResponse({ type: AlertDto })
  get(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('alert')) id: string,
  ): Promise<AlertDto> {
    return this.alerts.get(caller, id);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @Access(['admin', 'clinician'], 'alerts:write')
  @Audited('alert.acknowledge', { lookup: 'alerts', param: 'id' })
  @ApiOperation({ summary: 'The clinician has seen the alert (open → acknowledged)' })
  @ApiOkResponse({ type: AlertDto })
  acknowledge(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('alert')) id: string,
  ): Promise<AlertDto> {
    return this.alerts.acknowledge(caller, id);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @Access(['admin', 'clinician'], 'alerts:write')
  @Audited('alert.resolve', { lookup: 'alerts', param: 'id' })
  @ApiOperation({ summary: 'Close the alert (open or acknowledged → resolved)' })
  @ApiOkResponse({ type: AlertDto })
  resolve(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('alert')) id: string,
  ): Promise<AlertDto> {
    return this.alerts.resolve(caller, id);
  }
}
