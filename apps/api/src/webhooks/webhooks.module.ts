import { Module } from '@nestjs/common';
import { WebhookDeliveriesController, WebhookEndpointsController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  controllers: [WebhookEndpointsController, WebhookDeliveriesController],
  providers: [WebhooksService],
})
export class WebhooksModule {}
