import { PROVIDERS, type Provider } from '@app/providers';
import {
  Body,
  Controller,
  Delete,
  Get,
  Head,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExcludeEndpoint,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Audited } from '../audit/audited.decorator';
import { Access, Public } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { ApiProblem } from '../common/openapi';
import { ProblemException, validationProblem } from '../common/problem';
import {
  ConnectionListDto,
  CreateConnectionDto,
  CreatedConnectionDto,
  OAuthCallbackQueryDto,
  OAuthCallbackResultDto,
} from './connection.dto';
import { ConnectionsService } from './connections.service';
import { ProviderNotificationsService } from './provider-notifications.service';

/** The callback's own parameters: `state`, and `code` or `error`; anything else is ignored. */
function callbackQuery(query: Record<string, unknown>): OAuthCallbackQueryDto {
  const text = (name: string, max: number): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > max) {
      throw validationProblem([
        { field: name, message: `must be one text of 1 to ${max} characters` },
      ]);
    }
    return value;
  };
  const state = text('state', 512);
  if (state === undefined) throw validationProblem([{ field: 'state', message: 'is required' }]);
  return { state, code: text('code', 2048), error: text('error', 256) };
}

function provider(value: string): Provider {
  if (!(PROVIDERS as readonly string[]).includes(value)) {
    throw new ProblemException(404, 'No such provider');
  }
  return value as Provider;
}

@ApiTags('Wearable connections')
@Controller('v1')
export class ConnectionsController {
  constructor(
    private readonly connections: ConnectionsService,
    private readonly notifications: ProviderNotificationsService,
  ) {}

  @Post('patients/:id/connections')
  @Access(['admin', 'app'], 'activity:write')
  @Audited('connection.create')
  @ApiOperation({
    summary: 'Begin connecting a patient’s wearable-cloud account (OAuth with PKCE)',
  })
  @ApiCreatedResponse({
    type: CreatedConnectionDto,
    description: 'Pending: send the patient to `authorizeUrl`',
  })
  @ApiProblem(422, 'The provider is not configured on this service, or the body is not valid')
  create(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Body() body: CreateConnectionDto,
  ): Promise<CreatedConnectionDto> {
    return this.connections.create(caller, patientId, body.provider);
  }

  @Get('patients/:id/connections')
  @Access(['admin', 'clinician', 'app'], 'records:read')
  @Audited('connection.list')
  @ApiOperation({ summary: 'A patient’s wearable-cloud connections, newest first' })
  @ApiOkResponse({ type: ConnectionListDto, description: 'The connections' })
  list(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
  ): Promise<ConnectionListDto> {
    return this.connections.list(caller, patientId);
  }

  @Delete('connections/:id')
  @HttpCode(204)
  @Access(['admin', 'app'], 'activity:write')
  @Audited('connection.revoke', { lookup: 'wearable_connections', param: 'id' })
  @ApiOperation({ summary: 'Revoke a connection at the provider and stop pulling it' })
  @ApiNoContentResponse({ description: 'Revoked' })
  async remove(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('connection')) id: string,
  ): Promise<void> {
    await this.connections.remove(caller, id);
  }

  @Get('oauth/:provider/callback')
  @Public()
  @Audited('connection.connect', 'attached')
  @ApiOperation({
    summary: 'Where the provider sends the patient back after consent (the state authenticates it)',
  })
  @ApiParam({ name: 'provider', enum: PROVIDERS })
  @ApiQuery({
    name: 'state',
    type: String,
    required: true,
    description: 'As the authorize URL carried it',
  })
  @ApiQuery({
    name: 'code',
    type: String,
    required: false,
    description: 'The grant, when consent was given',
  })
  @ApiQuery({
    name: 'error',
    type: String,
    required: false,
    description: 'Set when consent was refused',
  })
  @ApiOkResponse({
    type: OAuthCallbackResultDto,
    description: 'Connected: the worker backfills the last 30 days',
  })
  @ApiProblem(400, 'The state is unknown, used or expired, or consent was refused: connect again')
  @ApiProblem(404, 'No such provider')
  @ApiProblem(422, '`state` is missing, or a parameter is not one short text')
  @ApiProblem(502, 'The provider did not exchange the code')
  async callback(
    @Param('provider') name: string,
    // Read by hand, not by a DTO: providers add parameters of their own (Google: scope,
    // authuser, prompt, iss…), which a whitelist would refuse before the state is even read.
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
  ): Promise<OAuthCallbackResultDto> {
    const audit: { auditPatientId?: string | null; auditOrganizationId?: string | null } = {};
    try {
      return await this.connections.callback(provider(name), callbackQuery(query), audit);
    } finally {
      req.auditPatientId = audit.auditPatientId ?? null;
      req.auditOrganizationId = audit.auditOrganizationId ?? null;
    }
  }

  /** Withings checks a notification URL with HEAD before it subscribes it. */
  @Head('providers/withings/notify/:connectionId/:mac')
  @Public()
  @ApiExcludeEndpoint()
  @HttpCode(200)
  verifyNotifyUrl(): void {
    return undefined;
  }

  /**
   * A Withings notification (form-encoded `userid`, `appli`, `startdate`/`enddate` or `date`):
   * an untrusted hint, checked against the URL's MAC and the connection's user, then a pull.
   * Answered 200 at once whatever it holds, as Withings asks (within two seconds).
   */
  @Post('providers/withings/notify/:connectionId/:mac')
  @Public()
  @ApiExcludeEndpoint()
  @HttpCode(200)
  async withingsNotify(
    @Param('connectionId') connectionId: string,
    @Param('mac') mac: string,
    @Body() body: unknown,
  ): Promise<void> {
    await this.notifications.withings(connectionId, mac, body);
  }
}
