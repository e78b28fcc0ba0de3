import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiExtension,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { ApiProblem } from '../common/openapi';
import { HandlesOwnIdempotency } from '../idempotency/idempotency.interceptor';
import { IDEMPOTENCY_HEADER } from '../idempotency/idempotency.service';
import {
  DailyActivityDto,
  DailyQueryDto,
  ImportAcceptedDto,
  ImportQueryDto,
  ImportStatusDto,
  SourcesDto,
} from './activity.dto';
import { ActivityImportsService } from './activity-imports.service';
import { IMPORT_REQUEST_BODY, IMPORT_SCHEMA_BY_FORMAT, IMPORT_BODY_MODELS } from './import-body';

@ApiTags('Activity')
@ApiExtraModels(DailyActivityDto, ...IMPORT_BODY_MODELS)
@Controller('v1')
export class ActivityController {
  constructor(private readonly imports: ActivityImportsService) {}

  @Post('patients/:id/activity-imports')
  @HttpCode(202)
  @Access(['admin', 'app'], 'activity:write')
  @Audited('activity_import.create')
  @HandlesOwnIdempotency()
  @ApiOperation({
    summary:
      'Push wearable data in one of nine formats: a native batch is written in the request (status completed), any other payload is stored at once and imported by the worker (status queued)',
    description:
      'native: {"source":{"name","device"?},"samples":[{"start","end","steps","activeMinutes"?,"activityType"?,"origin"?}]}; ' +
      'openmhealth: a data point, an array of them, or a body (step-count 1.0–3.0, physical-activity); ' +
      'fhir: a Bundle of Observations (LOINC 55423-8, 41950-7 steps; 72514-3 pain) or one Observation; ' +
      'apple-health-xml: export.xml itself (application/xml), streamed; health-connect: {"records":[StepsRecord]}; ' +
      'garmin: a Health API push with dailies and/or epochs; fitbit: an activities/steps intraday response; ' +
      'google-health: a page of dataPoints.list (steps); withings: a Measure v2 Getactivity or Getintradayactivity response. ' +
      'JSON bodies up to IMPORT_JSON_MAX_BYTES (32 MiB), exports up to IMPORT_MAX_BYTES (2 GiB). ' +
      'The body’s schema is the one of its `format` (x-schema-by-format): which one applies is ' +
      'named by the query, never guessed from the body.',
    // No @Body(): the handler streams the request itself, so the body is declared here.
    requestBody: IMPORT_REQUEST_BODY,
  })
  @ApiExtension('x-schema-by-format', IMPORT_SCHEMA_BY_FORMAT)
  @ApiAcceptedResponse({
    type: ImportAcceptedDto,
    description: 'Stored (queued), or a native batch written (completed)',
    example: { id: '0b9f3c1e-5d7a-4e2b-9c61-3f0a8d2e7b14', status: 'queued' },
  })
  @ApiProblem(400, 'A JSON format’s payload is not valid JSON')
  @ApiProblem(413, 'Larger than IMPORT_JSON_MAX_BYTES (JSON) or IMPORT_MAX_BYTES (XML)')
  @ApiProblem(415, 'Not application/json for a JSON format, or application/xml for the export')
  @ApiProblem(
    422,
    'A query or key problem, or a payload not of its format’s outer shape (`errors` names `body`)',
  )
  async create(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Query() query: ImportQueryDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportAcceptedDto> {
    const answer = await this.imports.create(caller, patientId, query.format, {
      contentType: req.headers['content-type'] ?? '',
      contentLength:
        req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']),
      idempotencyKey: req.headers[IDEMPOTENCY_HEADER] ?? null,
      path: req.originalUrl,
      body: req,
    });
    if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return answer.body;
  }

  @Get('activity-imports/:id')
  @Access(['admin', 'clinician', 'app'], 'records:read')
  @Audited('activity_import.read', { lookup: 'activity_imports', param: 'id' })
  @ApiOperation({ summary: 'Status and counts of an import, with a reason per rejected record' })
  @ApiOkResponse({ type: ImportStatusDto, description: 'The import as it stands' })
  status(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('activity import')) id: string,
  ): Promise<ImportStatusDto> {
    return this.imports.status(caller, id);
  }

  @Get('patients/:id/activity/daily')
  @Access(['admin', 'clinician', 'app'], 'records:read')
  @Audited('activity.read')
  @ApiOperation({
    summary: 'Steps per patient-local day, merged across sources, with each source’s figure',
  })
  @ApiOkResponse({
    description: 'Steps per patient-local day of the range',
    schema: {
      type: 'object',
      required: ['data'],
      properties: { data: { type: 'array', items: { $ref: getSchemaPath(DailyActivityDto) } } },
    },
  })
  daily(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Query() query: DailyQueryDto,
  ): Promise<{ data: DailyActivityDto[] }> {
    return this.imports.daily(caller, patientId, query);
  }

  @Get('patients/:id/activity/sources')
  @Access(['admin', 'clinician', 'app'], 'records:read')
  @Audited('activity.sources')
  @ApiOperation({ summary: 'Data freshness per source: tells "no data" apart from "no activity"' })
  @ApiOkResponse({ type: SourcesDto, description: 'The sources and connections of the patient' })
  sources(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
  ): Promise<SourcesDto> {
    return this.imports.sources(caller, patientId);
  }
}
