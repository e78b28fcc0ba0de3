/**
 * What a span may carry when it leaves the process: these attributes, and ours under
 * `sciatrack.` (ids, job names, counts). Everything else an instrumentation records is dropped
 * on export (see redaction.ts): request paths and queries (`url.path` holds a provider's MAC,
 * `url.query` FHIR search values), client addresses, user agents, exception messages. Spans
 * carry ids, never data, as the logs do.
 */
export const EXPORTED_ATTRIBUTES: ReadonlySet<string> = new Set([
  // HTTP server (the request's route template, never its URL) and the webhook client span.
  'http.request.method',
  'http.response.status_code',
  'http.route',
  'url.scheme',
  'network.protocol.version',
  'server.address',
  'server.port',
  'error.type',
  // PostgreSQL: statements are texts with $n parameters, whose values are never recorded.
  'db.system',
  'db.system.name',
  'db.namespace',
  'db.operation.name',
  'db.query.text',
  'db.statement',
  // Jobs.
  'messaging.system',
  'messaging.destination.name',
  'messaging.operation.type',
  'messaging.message.id',
]);

export const OWN_ATTRIBUTE_PREFIX = 'sciatrack.';

/** The service's own attributes: ids and names only. */
export const ATTR = {
  jobName: 'sciatrack.job.name',
  jobAttempt: 'sciatrack.job.attempt',
  outboxEventId: 'sciatrack.outbox.event_id',
  deliveryId: 'sciatrack.webhook.delivery_id',
  deliveryAttempt: 'sciatrack.webhook.attempt',
} as const;
