import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { ApiPage, ApiProblem } from '../common/openapi';
import { type Page } from '../common/pagination';
import { AlertDto, AlertQueryDto } from './alert.dto';
import { AlertsService } from './alerts.service';

@ApiTags('Alerts')
@Controller('v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @Access(['admin', 'clinician'], 'alerts:read')
  @Audited('alert.list', 'none')
  @ApiOperation({
    summary: 'Alerts of the patients the key may see, oldest first, with filters',
  })
  @ApiPage(AlertDto, 'The alerts, oldest first')
  list(@CurrentCaller() caller: Caller, @Query() query: AlertQueryDto): Promise<Page<AlertDto>> {
    return this.alerts.list(caller, query);
  }

  @Get(':id')
  @Access(['admin', 'clinician'], 'alerts:read')
  @Audited('alert.read', { lookup: 'alerts', param: 'id' })
  @ApiOperation({ summary: 'One alert' })
  @ApiOkResponse({ type: AlertDto, description: 'The alert' })
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
  @ApiOkResponse({ type: AlertDto, description: 'The alert, acknowledged' })
  @ApiProblem(409, 'The alert is not open, or the Idempotency-Key is busy')
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
  @ApiOkResponse({ type: AlertDto, description: 'The alert, resolved' })
  @ApiProblem(409, 'The alert is resolved already, or the Idempotency-Key is busy')
  resolve(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('alert')) id: string,
  ): Promise<AlertDto> {
    return this.alerts.resolve(caller, id);
  }
}
