import { AppConfig, Clock } from '@app/config';
import { createProducerConnection, HEARTBEAT_TTL_SECONDS, heartbeatKey } from '@app/queue';
import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import type IORedis from 'ioredis';

/** Tells the outside (the container health check) that this worker is alive and sees Redis. */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly redis: IORedis;
  private readonly key: string;
  private stopped = false;

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.redis = createProducerConnection(config.REDIS_URL);
    this.key = heartbeatKey(config.QUEUE_PREFIX);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
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
