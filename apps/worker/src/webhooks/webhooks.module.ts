import { Module } from '@nestjs/common';
import { OutboxRelayService } from './outbox-relay.service';
import { WebhooksProcessor } from './webhooks.processor';

@Module({ providers: [WebhooksProcessor, OutboxRelayService] })
export class WebhooksModule {}
