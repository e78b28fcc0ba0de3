import { hostname } from 'node:os';
import { serviceKey } from './keys';

export const HEARTBEAT_TTL_SECONDS = 30;

/**
 * The Redis key a worker process refreshes while it runs. One key per process, so that a worker
 * stopping on the same host (a second replica, a test's worker) does not delete another's beat.
 */
export function heartbeatKey(queuePrefix: string, host = hostname(), pid = process.pid): string {
  return serviceKey(queuePrefix, 'worker-heartbeat', host, pid);
}

/** Matches the heartbeats of every worker process of this host: what the health check asks. */
export function heartbeatPattern(queuePrefix: string, host = hostname()): string {
  const glob = /[*?[\]\\]/g;
  return `${serviceKey(queuePrefix.replace(glob, '\\$&'), 'worker-heartbeat', host.replace(glob, '\\$&'))}:*`;
}
