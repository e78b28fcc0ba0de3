import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { PageQueryDto, pageSchema, type Page } from '../common/pagination';
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
@ApiExtraModels(WebhookEndpointDto, WebhookDeliveryDto)
@Controller('v1/webhook-endpoints')
@Access(['admin'], 'org:manage')
export class WebhookEndpointsController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a receiver of signed events (Standard Webhooks); its secret is shown once',
  })
  @ApiCreatedResponse({ type: WebhookEndpointWithSecretDto })
  create(
    @CurrentCaller() caller: Caller,
    @Body() body: CreateWebhookEndpointDto,
  ): Promise<WebhookEndpointWithSecretDto> {
    return this.webhooks.create(caller, body);
  }

  @Get()
  @ApiOkResponse({ schema: pageSchema(getSchemaPath(WebhookEndpointDto)) })
  list(
    @CurrentCaller() caller: Caller,
    @Query() page: PageQueryDto,
  ): Promise<Page<WebhookEndpointDto>> {
    return this.webhooks.list(caller, page);
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookEndpointDto })
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
  @ApiOkResponse({ type: WebhookEndpointWithSecretDto })
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
  @ApiOkResponse({ type: WebhookEndpointDto })
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
  @ApiOkResponse({ schema: pageSchema(getSchemaPath(WebhookDeliveryDto)) })
  list(
    @CurrentCaller() caller: Caller,
    @Query() query: DeliveryQueryDto,
  ): Promise<Page<WebhookDeliveryDto>> {
    return this.webhooks.listDeliveries(caller, query);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a dead delivery again, with the same webhook-id and body' })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto })
  replay(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('webhook delivery')) id: string,
  ): Promise<WebhookDeliveryDto> {
    return this.webhooks.replay(caller, id);
  }
}
