import { ConnectionsRepository } from '@app/persistence';
import { ProvidersService } from '@app/providers';
import { Injectable, Logger } from '@nestjs/common';
import { ConnectionsService } from './connections.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Provider notifications: hints that new data exists, never data. Withings does not sign them
 * (docs/providers.md), so a notification counts only if its URL carries the MAC this service made
 * for the connection and it names the connection's Withings user; then the connection is pulled
 * with its own token. Anything else is ignored, and logged without patient data.
 */
@Injectable()
export class ProviderNotificationsService {
  private readonly logger = new Logger(ProviderNotificationsService.name);

  constructor(
    private readonly providers: ProvidersService,
    private readonly connections: ConnectionsRepository,
    private readonly service: ConnectionsService,
  ) {}

  async withings(connectionId: string, mac: string, received: unknown): Promise<void> {
    // No form (an empty or other body) is no notification.
    const body =
      typeof received === 'object' && received !== null
        ? (received as Record<string, unknown>)
        : {};
    if (!UUID.test(connectionId) || !this.providers.verifyNotifyMac(connectionId, mac)) {
      this.logger.warn('ignored a Withings notification: its URL was not one of ours');
      return;
    }
    const target = await this.connections.notifyTarget(connectionId.toLowerCase());
    const userId = body.userid;
    if (
      !target ||
      target.provider !== 'withings' ||
      (typeof userId !== 'string' && typeof userId !== 'number') ||
      String(userId) !== target.providerUserId
    ) {
      this.logger.warn(
        { connectionId },
        'ignored a Withings notification: unknown connection or user',
      );
      return;
    }
    await this.service.queueSync(connectionId.toLowerCase(), 'notify');
  }
}
