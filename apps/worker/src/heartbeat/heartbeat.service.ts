import { AppConfig, Clock } from '@app/config';
import {
  createProducerConnection,
  HEARTBEAT_TTL_SECONDS,
  heartbeatKey,
  type RedisConnection,
} from '@app/queue';
import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';

const CONNECT_WAIT_MS = 5_000;

/** Tells the outside (the container health check) that this worker is alive and sees Redis. */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly redis: RedisConnection;
  private readonly key: string;
  private stopped = false;

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.redis = createProducerConnection(config);
    this.key = heartbeatKey(config.QUEUE_PREFIX);
  }

  /**
   * The first beat, once the connection is up: the connection refuses commands while it
   * connects (no offline queue), and a beat refused then left the worker unhealthy to the
   * health check until the next one, 10 s after it said it had started.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.connected(CONNECT_WAIT_MS);
    await this.beat();
  }

  /** Resolves when the connection is ready, or after `ms` (Redis down: the next beat retries). */
  private connected(ms: number): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.redis.once('ready', done);
    });
  }

  @Interval((HEARTBEAT_TTL_SECONDS / 3) * 1000)
  async beat(): Promise<void> {
    // A beat after the shutdown began would bring a stopping worker back to life for a TTL.
    if (this.stopped) return;
    // A missed beat is harmless: the next one, or the TTL, tells the truth.
    await this.redis
      .set(this.key, this.clock.now().toISOString(), 'EX', HEARTBEAT_TTL_SECONDS)
      .catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.redis.del(this.key).catch(() => undefined);
    this.redis.disconnect();
  }
}
