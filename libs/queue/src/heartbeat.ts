import { hostname } from 'node:os';

export const HEARTBEAT_TTL_SECONDS = 30;

/** The Redis key a worker refreshes while it runs; the container health check reads it. */
export function heartbeatKey(queuePrefix: string, host = hostname()): string {
  return `${queuePrefix}:worker-heartbeat:${host}`;
}
