import { Injectable } from '@nestjs/common';
import type { JobPayloads } from '@app/queue';
import { OnJob } from '../jobs/on-job.decorator';

@Injectable()
export class SystemProcessor {
  @OnJob('system.ping')
  ping(payload: JobPayloads['system.ping']): Promise<{ pong: string }> {
    return Promise.resolve({ pong: payload.nonce });
  }
}
