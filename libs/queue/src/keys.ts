import type { QueueName } from './jobs';

/**
 * The key prefix BullMQ gives one queue's keys. Its braces are a Redis Cluster hash tag of the
 * queue's own: a queue's keys must share a slot (its scripts touch several at once), and
 * different queues must not, or one node would carry every queue (BullMQ's cluster guidance).
 */
export function queueKeyPrefix(prefix: string, queue: QueueName): string {
  return `{${prefix}:${queue}}`;
}

/** A key of the service's own (heartbeats, budgets): single-key commands, one tag for all. */
export function serviceKey(prefix: string, ...parts: (string | number)[]): string {
  return [`{${prefix}}`, ...parts].join(':');
}

/** A Redis glob matching every key of a prefix: the queues' and the service's own. */
export function keysOfPrefixPattern(prefix: string): string {
  return `{${prefix.replace(/[*?[\]\\]/g, '\\$&')}[:}]*`;
}
