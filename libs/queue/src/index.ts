export * from './job-queue.service';
export * from './jobs';
export * from './keys';
export * from './queue.module';
export * from './redis';
export * from './heartbeat';
