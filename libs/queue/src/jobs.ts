import type { JobsOptions } from 'bullmq';

/**
 * The one registry of queues and jobs. Every job names its queue and its payload type; payloads
 * carry ids and periods only, never patient data (Redis is not the place for health data).
 */
export const QUEUES = ['system', 'activity', 'adherence', 'webhooks', 'exports', 'sync'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface JobPayloads {
  // Proves end to end that a worker consumes jobs (used by readiness checks and tests).
  'system.ping': { nonce: string };
  // Parse, store and roll up one stored activity import.
  'activity.import': { importId: string };
  // Roll up the days an import written in its request marked (one job per patient at a time).
  'activity.rollup': { organizationId: string; patientId: string };
  // Plan a period (the patients whose local day ended in it, or a full one) into chunk jobs.
  'adherence.period': { period: string };
  // Compute one chunk of a period: the period's patients whose id hashes to `chunk`.
  'adherence.chunk': { period: string; chunk: number; chunks: number };
  // Recompute the patients whose records changed (sessions, pain reports, imports).
  'adherence.dirty': Record<string, never>;
  // Fan one outbox event out to the endpoints subscribed to it (job id = the outbox row's id).
  'webhook.event': { eventId: string };
  // Make one attempt at one delivery (the state, the lease and the schedule live in PostgreSQL).
  'webhook.deliver': { deliveryId: string };
  // Write one FHIR Bulk Data export's files (its request and progress live in PostgreSQL).
  'fhir.export': { exportId: string };
  // Pull a wearable-cloud connection from its cursor (its tokens and cursor live in PostgreSQL).
  'provider.sync': { connectionId: string };
}
export type JobName = keyof JobPayloads;

/**
 * What a job's data carries besides its payload: the W3C traceparent of the span that queued it
 * (`00-<trace id>-<span id>-<flags>`, ids only), when tracing is on, so that the worker's span
 * of the job continues the trace of the request or job that queued it.
 */
export interface JobTrace {
  traceparent?: string;
}

export const JOB_QUEUE: Readonly<Record<JobName, QueueName>> = {
  'system.ping': 'system',
  'activity.import': 'activity',
  'activity.rollup': 'activity',
  'adherence.period': 'adherence',
  'adherence.chunk': 'adherence',
  'adherence.dirty': 'adherence',
  'webhook.event': 'webhooks',
  'webhook.deliver': 'webhooks',
  'fhir.export': 'exports',
  'provider.sync': 'sync',
};

export const JOB_NAMES = Object.keys(JOB_QUEUE) as JobName[];

export function jobsOfQueue(queue: QueueName): JobName[] {
  return JOB_NAMES.filter((name) => JOB_QUEUE[name] === queue);
}

interface QueuedJob<P> {
  payload: P;
  jobId: string;
  options: JobsOptions;
}

/** An hourly adherence period's name: the top of a UTC hour, `2026-11-22T04`. */
export function hourlyPeriodName(at: Date): string {
  return at.toISOString().slice(0, 13);
}

/**
 * A full adherence period (docs/adherence.md): every patient with a program as of the top of
 * `at`'s hour, `full-2026-11-22T04`, or one organization's, `full-2026-11-22T04-org-<id>`.
 */
export function fullPeriodName(at: Date, organizationId: string | null = null): string {
  const hour = hourlyPeriodName(new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000));
  return organizationId ? `full-${hour}-org-${organizationId}` : `full-${hour}`;
}

/** A period's job id (BullMQ refuses ':' in custom ids, so not the `adherence:` of the design). */
export function periodJobId(period: string): string {
  return `adherence-${period}`;
}

/**
 * The planning of a period: the id names the period, so every replica's tick queues it once; a
 * suffix queues it again while BullMQ still holds a finished job of that id (a forced rerun).
 */
export function periodJob(period: string, suffix = ''): QueuedJob<JobPayloads['adherence.period']> {
  return {
    payload: { period },
    jobId: `${periodJobId(period)}${suffix}`,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 5000 } },
  };
}

/**
 * An outbox event's fan-out: the job id is the outbox row's (the relay), or that plus a suffix
 * when a sweep queues it again (the first id may still be held by a finished or failed job).
 */
export function eventJob(eventId: string, suffix = ''): QueuedJob<JobPayloads['webhook.event']> {
  return {
    payload: { eventId },
    jobId: `${eventId}${suffix}`,
    options: { attempts: 10, backoff: { type: 'exponential', delay: 1000 } },
  };
}

/**
 * One attempt at a delivery: the id names the attempt, so it is queued once; a suffix marks a
 * sweep, a replay or a wait for a busy endpoint. The state lives in PostgreSQL, not in the job.
 */
export function deliveryJob(
  deliveryId: string,
  attempt: number,
  delayMs = 0,
  suffix = '',
): QueuedJob<JobPayloads['webhook.deliver']> {
  return {
    payload: { deliveryId },
    jobId: `delivery-${deliveryId}-${attempt}${suffix}`,
    options: { delay: Math.max(0, Math.round(delayMs)) },
  };
}

/**
 * How an import is queued, by the API and by the worker's sweep alike: the job id is the
 * import's, so queuing it twice while it waits is a no-op, and a failing job retries with backoff.
 */
export function importJobOptions(importId: string): {
  jobId: string;
  attempts: number;
  backoff: { type: 'exponential'; delay: number };
} {
  return {
    jobId: `import-${importId}`,
    attempts: 8,
    backoff: { type: 'exponential', delay: 2000 },
  };
}

/**
 * The rollup of a patient's marked days after an import written in its request: one job per
 * patient waits at a time (its id), a little, so that a burst of imports shares one rollup.
 */
export function rollupJob(
  organizationId: string,
  patientId: string,
): QueuedJob<JobPayloads['activity.rollup']> {
  return {
    payload: { organizationId, patientId },
    jobId: `rollup-${patientId}`,
    options: {
      delay: 500,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: true,
      removeOnFail: 100,
    },
  };
}

/**
 * A Bulk Data export's job: its id is the export's, so a kick-off queues it once; a retry goes
 * on from the export's committed progress. The sweep's n-th re-queue of an export whose job was
 * lost gets `-requeue-n`, so that the job of each re-queue has a known id.
 */
export function fhirExportJob(
  exportId: string,
  requeues = 0,
): QueuedJob<JobPayloads['fhir.export']> {
  return {
    payload: { exportId },
    jobId: `fhir-export-${exportId}${requeues > 0 ? `-requeue-${requeues}` : ''}`,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 2000 } },
  };
}

/**
 * A pull of a connection. Ids name the reason and a 10-second slot, so that a burst of
 * notifications queues one pull; pulls of one connection never overlap (its lease).
 */
export function syncJob(
  connectionId: string,
  reason: string,
  nowMs: number,
): QueuedJob<JobPayloads['provider.sync']> {
  return {
    payload: { connectionId },
    jobId: `sync-${connectionId}-${reason}-${Math.floor(nowMs / 10_000)}`,
    // One attempt: a failed pull is backed off in PostgreSQL and pulled again by the schedule.
    options: { attempts: 1, removeOnComplete: true, removeOnFail: { age: 24 * 3600, count: 1000 } },
  };
}

/** Records whose ids jobs carry: what an erasure must take out of the queues. */
export interface JobSubjects {
  patientIds: readonly string[];
  importIds: readonly string[];
  eventIds: readonly string[];
  deliveryIds: readonly string[];
  exportIds: readonly string[];
  connectionIds: readonly string[];
}

const UUID_AT_START = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** The uuid a job id carries after `prefix`, if it has that prefix. */
function idAfter(jobId: string, prefix: string): string | undefined {
  return jobId.startsWith(prefix) ? UUID_AT_START.exec(jobId.slice(prefix.length))?.[0] : undefined;
}

/**
 * Which job ids, per queue, name one of `subjects`: read from the job ids the builders above
 * make (a suffix of a sweep, a replay or a retry included). Jobs carry ids only, so a job about
 * a record names it in its id or in nothing; `adherence` and `system` jobs name no record.
 */
export function jobsNaming(
  subjects: JobSubjects,
): { queue: QueueName; matches: (jobId: string) => boolean }[] {
  const set = (ids: readonly string[]) => new Set(ids.map((id) => id.toLowerCase()));
  const [patients, imports, events, deliveries, exports, connections] = [
    set(subjects.patientIds),
    set(subjects.importIds),
    set(subjects.eventIds),
    set(subjects.deliveryIds),
    set(subjects.exportIds),
    set(subjects.connectionIds),
  ];
  const has = (ids: Set<string>, id: string | undefined) => id !== undefined && ids.has(id);
  return [
    {
      queue: 'activity',
      matches: (id) =>
        has(imports, idAfter(id, 'import-')) || has(patients, idAfter(id, 'rollup-')),
    },
    {
      queue: 'webhooks',
      matches: (id) => has(deliveries, idAfter(id, 'delivery-')) || has(events, idAfter(id, '')),
    },
    { queue: 'exports', matches: (id) => has(exports, idAfter(id, 'fhir-export-')) },
    { queue: 'sync', matches: (id) => has(connections, idAfter(id, 'sync-')) },
  ];
}
