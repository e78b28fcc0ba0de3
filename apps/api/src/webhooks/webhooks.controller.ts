import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { ApiPage, ApiProblem } from '../common/openapi';
import { PageQueryDto, type Page } from '../common/pagination';
import {
  CreateWebhookEndpointDto,
  DeliveryQueryDto,
  RotateSecretDto,
  WebhookDeliveryDto,
  WebhookEndpointDto,
  WebhookEndpointWithSecretDto,
} from './webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('Webhooks')
@Controller('v1/webhook-endpoints')
@Access(['admin'], 'org:manage')
export class WebhookEndpointsController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a receiver of signed events (Standard Webhooks); its secret is shown once',
  })
  @ApiCreatedResponse({
    type: WebhookEndpointWithSecretDto,
    description: 'The endpoint; `secret` is shown only here and on rotation',
  })
  create(
    @CurrentCaller() caller: Caller,
    @Body() body: CreateWebhookEndpointDto,
  ): Promise<WebhookEndpointWithSecretDto> {
    return this.webhooks.create(caller, body);
  }

  @Get()
  @ApiPage(WebhookEndpointDto, 'The organization’s endpoints, oldest first')
  list(
    @CurrentCaller() caller: Caller,
    @Query() page: PageQueryDto,
  ): Promise<Page<WebhookEndpointDto>> {
    return this.webhooks.list(caller, page);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint (never its secret)' })
  @ApiOkResponse({ type: WebhookEndpointDto, description: 'The endpoint' })
  get(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('webhook endpoint')) id: string,
  ): Promise<WebhookEndpointDto> {
    return this.webhooks.get(caller, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its deliveries' })
  delete(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('webhook endpoint')) id: string,
  ): Promise<void> {
    return this.webhooks.delete(caller, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'New secret; the old one keeps signing (a second signature) for a grace period',
  })
  @ApiOkResponse({
    type: WebhookEndpointWithSecretDto,
    description: 'The endpoint with its new secret, shown only here',
  })
  rotate(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('webhook endpoint')) id: string,
    @Body() body: RotateSecretDto,
  ): Promise<WebhookEndpointWithSecretDto> {
    return this.webhooks.rotateSecret(caller, id, body);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Turn back on an endpoint disabled after it answered 410 Gone' })
  @ApiOkResponse({ type: WebhookEndpointDto, description: 'The endpoint, enabled' })
  enable(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('webhook endpoint')) id: string,
  ): Promise<WebhookEndpointDto> {
    return this.webhooks.enable(caller, id);
  }
}

@ApiTags('Webhooks')
@Controller('v1/webhook-deliveries')
@Access(['admin'], 'org:manage')
export class WebhookDeliveriesController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'Deliveries and their attempts; status=dead lists the dead letter' })
  @ApiPage(WebhookDeliveryDto, 'The deliveries, oldest first')
  list(
    @CurrentCaller() caller: Caller,
    @Query() query: DeliveryQueryDto,
  ): Promise<Page<WebhookDeliveryDto>> {
    return this.webhooks.listDeliveries(caller, query);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a dead delivery again, with the same webhook-id and body' })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto, description: 'The delivery, due again' })
  @ApiProblem(409, 'The endpoint is disabled (enable it first), or the Idempotency-Key is busy')
  replay(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('webhook delivery')) id: string,
  ): Promise<WebhookDeliveryDto> {
    return this.webhooks.replay(caller, id);
  }
}
