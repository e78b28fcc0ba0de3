import { Clock } from '@app/config';
import { ApiKeysRepository, type AuthenticatedKey, type Listener } from '@app/persistence';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';

/**
 * How long a key found in the database is trusted from memory. Its last use is stamped by the
 * lookup that follows, so `last_used_at` stays within a minute or two of the truth.
 */
export const KEY_CACHE_TTL_MS = 60_000;
/** Keys held at most; past it the cache starts again empty. */
const KEY_CACHE_MAX = 10_000;
const RELISTEN_MS = 5_000;

interface Entry {
  secretHash: Buffer;
  key: AuthenticatedKey;
  until: number;
}

/**
 * The keys this process authenticated in the last minute, so that a request costs no round trip
 * for its key. Only while it LISTENs for key changes: a revocation (or any change to what a key
 * may do, however made) is told to every API process at commit and each forgets every key it
 * holds; without that connection nothing is cached. A key is found by its prefix and trusted
 * only when the hash of the presented secret is the one the database matched.
 */
@Injectable()
export class ApiKeyCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyCache.name);
  private readonly entries = new Map<string, Entry>();
  private listener: Listener | null = null;
  /** Bumped whenever the cache is emptied: a lookup that began before is not kept. */
  private generation = 0;
  private stopped = false;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.forgetAll();
    await this.listener?.close().catch(() => undefined);
    this.listener = null;
  }

  /** The key of this prefix whose secret hashes to `secretHash`, or null (see ApiKeysRepository). */
  async authenticate(prefix: string, secretHash: Buffer): Promise<AuthenticatedKey | null> {
    const hit = this.entries.get(prefix);
    if (
      hit &&
      this.listener &&
      hit.until > this.clock.nowMs() &&
      timingSafeEqual(hit.secretHash, secretHash)
    ) {
      return hit.key;
    }
    const generation = this.generation;
    const key = await this.keys.authenticate(prefix, secretHash);
    if (key && !key.revokedAt && this.listener && generation === this.generation) {
      if (this.entries.size >= KEY_CACHE_MAX) this.entries.clear();
      this.entries.set(prefix, {
        secretHash,
        key,
        until: this.clock.nowMs() + KEY_CACHE_TTL_MS,
      });
    }
    return key;
  }

  /** Forgets every key held (a change was told, or this process made one). */
  forgetAll(): void {
    this.generation++;
    this.entries.clear();
  }

  private async listen(): Promise<void> {
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      const listener = this.listener;
      this.listener = null;
      this.forgetAll();
      void listener?.close().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.listen(), RELISTEN_MS).unref();
    };
    try {
      const listener = await this.keys.listenForChanges(() => this.forgetAll(), onLost);
      if (lost || this.stopped) await listener.close().catch(() => undefined);
      else this.listener = listener;
    } catch {
      this.logger.warn('cannot LISTEN for API key changes; every request looks its key up');
      onLost();
    }
  }
}
