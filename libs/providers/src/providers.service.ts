import { AppConfig, Clock } from '@app/config';
import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { GoogleHealthClient } from './google-health.client';
import { WithingsClient } from './withings.client';

export const PROVIDERS = ['google-health', 'withings'] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * The wearable clouds this deployment can connect to (a provider is available once its OAuth
 * client and PUBLIC_BASE_URL are configured), their clients, and the addresses they call back.
 */
@Injectable()
export class ProvidersService {
  readonly google: GoogleHealthClient | null;
  readonly withings: WithingsClient | null;
  private readonly notifyKey: Buffer;

  constructor(
    private readonly config: AppConfig,
    clock: Clock,
  ) {
    const base = config.PUBLIC_BASE_URL;
    this.google =
      base && config.GOOGLE_HEALTH_CLIENT_ID && config.GOOGLE_HEALTH_CLIENT_SECRET
        ? new GoogleHealthClient({
            clock,
            clientId: config.GOOGLE_HEALTH_CLIENT_ID,
            clientSecret: config.GOOGLE_HEALTH_CLIENT_SECRET,
            authUrl: config.GOOGLE_HEALTH_AUTH_URL,
            tokenUrl: config.GOOGLE_HEALTH_TOKEN_URL,
            revokeUrl: config.GOOGLE_HEALTH_REVOKE_URL,
            apiUrl: config.GOOGLE_HEALTH_API_URL,
          })
        : null;
    this.withings =
      base && config.WITHINGS_CLIENT_ID && config.WITHINGS_CLIENT_SECRET
        ? new WithingsClient({
            clock,
            clientId: config.WITHINGS_CLIENT_ID,
            clientSecret: config.WITHINGS_CLIENT_SECRET,
            authUrl: config.WITHINGS_AUTH_URL,
            apiUrl: config.WITHINGS_API_URL,
          })
        : null;
    // Notification URLs carry a MAC of their connection: derived from the sealing key, so that
    // no one without it can make one.
    this.notifyKey = createHmac('sha256', Buffer.from(config.WEBHOOK_SECRETS_KEY, 'base64'))
      .update('sciatrack provider notifications')
      .digest();
  }

  available(provider: Provider): boolean {
    return provider === 'google-health' ? this.google !== null : this.withings !== null;
  }

  /** Where the provider sends the patient back after consent. */
  redirectUri(provider: Provider): string {
    return `${this.config.PUBLIC_BASE_URL ?? ''}/v1/oauth/${provider}/callback`;
  }

  /** The Withings notification URL of a connection: its id and a MAC of it. */
  withingsNotifyUrl(connectionId: string): string {
    return `${this.config.PUBLIC_BASE_URL ?? ''}/v1/providers/withings/notify/${connectionId}/${this.mac(connectionId)}`;
  }

  /** Whether a notification URL's MAC is the one this service made for the connection. */
  verifyNotifyMac(connectionId: string, mac: string): boolean {
    const expected = Buffer.from(this.mac(connectionId));
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(connectionId: string): string {
    return createHmac('sha256', this.notifyKey)
      .update(connectionId)
      .digest('base64url')
      .slice(0, 32);
  }
}
