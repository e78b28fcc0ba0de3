import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { ApiProblem } from '../common/openapi';
import {
  CareTimeDto,
  CareTimeListDto,
  ClaimsDto,
  CreateCareTimeDto,
  CreateEpisodeDto,
  EndEpisodeDto,
  EpisodeDto,
  EpisodeListDto,
  MonthQueryDto,
  RtmLedgerDto,
  VoidCareTimeDto,
} from './rtm.dto';
import { claimsCsv } from './claims-csv';
import { RtmService } from './rtm.service';

@ApiTags('Remote monitoring')
@ApiExtraModels(ClaimsDto)
@Controller('v1')
export class RtmController {
  constructor(private readonly rtm: RtmService) {}

  @Post('patients/:id/care-time')
  @Access(['admin', 'clinician'], 'care:write')
  @Audited('care_time.create')
  @ApiOperation({ summary: 'Log clinician time on a patient’s care (append-only)' })
  @ApiCreatedResponse({ type: CareTimeDto, description: 'The entry' })
  addCareTime(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Body() body: CreateCareTimeDto,
  ): Promise<CareTimeDto> {
    return this.rtm.addCareTime(caller, patientId, body);
  }

  @Get('patients/:id/care-time')
  @Access(['admin', 'clinician'], 'care:read')
  @Audited('care_time.list')
  @ApiOperation({ summary: 'A patient’s care-time entries of a month (voided ones included)' })
  @ApiOkResponse({ type: CareTimeListDto, description: 'The month’s entries' })
  listCareTime(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Query() query: MonthQueryDto,
  ): Promise<CareTimeListDto> {
    return this.rtm.listCareTime(caller, patientId, query.month);
  }

  @Post('care-time/:id/void')
  @HttpCode(200)
  @Access(['admin', 'clinician'], 'care:write')
  @Audited('care_time.void', { lookup: 'care_time_entries', param: 'id' })
  @ApiOperation({ summary: 'Void a care-time entry (it stays in the log, counting for nothing)' })
  @ApiOkResponse({ type: CareTimeDto, description: 'The entry, voided' })
  @ApiProblem(409, 'The entry was voided already, or the Idempotency-Key is busy')
  voidCareTime(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('care-time entry')) id: string,
    @Body() body: VoidCareTimeDto,
  ): Promise<CareTimeDto> {
    return this.rtm.voidCareTime(caller, id, body.reason);
  }

  @Post('patients/:id/rtm-episodes')
  @Access(['admin', 'clinician'], 'care:write')
  @Audited('rtm_episode.create')
  @ApiOperation({ summary: 'Enrol a patient in remote monitoring from a start date' })
  @ApiCreatedResponse({ type: EpisodeDto, description: 'The episode' })
  startEpisode(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Body() body: CreateEpisodeDto,
  ): Promise<EpisodeDto> {
    return this.rtm.startEpisode(caller, patientId, body);
  }

  @Get('patients/:id/rtm-episodes')
  @Access(['admin', 'clinician'], 'care:read')
  @Audited('rtm_episode.list')
  @ApiOperation({ summary: 'A patient’s monitoring episodes, oldest first' })
  @ApiOkResponse({ type: EpisodeListDto, description: 'The episodes' })
  listEpisodes(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
  ): Promise<EpisodeListDto> {
    return this.rtm.listEpisodes(caller, patientId);
  }

  @Post('rtm-episodes/:id/end')
  @HttpCode(200)
  @Access(['admin', 'clinician'], 'care:write')
  @Audited('rtm_episode.end', { lookup: 'rtm_episodes', param: 'id' })
  @ApiOperation({ summary: 'End a monitoring episode (its last day inclusive)' })
  @ApiOkResponse({ type: EpisodeDto, description: 'The episode, ended' })
  @ApiProblem(409, 'The episode has ended already, or the Idempotency-Key is busy')
  endEpisode(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('episode')) id: string,
    @Body() body: EndEpisodeDto,
  ): Promise<EpisodeDto> {
    return this.rtm.endEpisode(caller, id, body);
  }

  @Get('patients/:id/rtm')
  @Access(['admin', 'clinician'], 'care:read')
  @Audited('rtm_ledger.read')
  @ApiOperation({
    summary: 'A patient’s RTM ledger of a month: each code met or not, evidence, what is missing',
  })
  @ApiOkResponse({ type: RtmLedgerDto, description: 'The month’s ledger' })
  ledger(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Query() query: MonthQueryDto,
  ): Promise<RtmLedgerDto> {
    return this.rtm.ledger(caller, patientId, query.month);
  }

  @Get('rtm/claims')
  @Access(['admin'], 'care:read')
  @Audited('rtm_claims.read', 'none')
  @ApiOperation({
    summary:
      'The organization’s billable RTM lines of a month, one per patient and code (JSON, or CSV with Accept: text/csv)',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    description: 'The claim lines: JSON, or CSV when Accept prefers text/csv',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ClaimsDto) } },
      'text/csv': { schema: { type: 'string', description: 'One line per patient and code' } },
    },
  })
  async claims(
    @CurrentCaller() caller: Caller,
    @Query() query: MonthQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ClaimsDto | string> {
    const claims = await this.rtm.claims(caller, query.month);
    if (prefersCsv(accept)) {
      res.type('text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="rtm-claims-${claims.month}.csv"`);
      return claimsCsv(claims);
    }
    return claims;
  }
}

/** True when the client asks for CSV ahead of JSON. */
function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  const csv = types.indexOf('text/csv');
  const json = types.indexOf('application/json');
  return csv >= 0 && (json < 0 || csv < json);
}
