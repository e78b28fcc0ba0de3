import { randomUUID } from 'node:crypto';
import {
  deliveryJob,
  eventJob,
  fhirExportJob,
  importJobOptions,
  jobsNaming,
  rollupJob,
  syncJob,
  type JobSubjects,
  type QueueName,
} from './jobs';

const subjects: JobSubjects = {
  patientIds: [randomUUID()],
  importIds: [randomUUID()],
  eventIds: [randomUUID()],
  deliveryIds: [randomUUID()],
  exportIds: [randomUUID()],
  connectionIds: [randomUUID()],
};
const other = randomUUID();
const now = Date.UTC(2026, 10, 22, 8, 30);

function named(queue: QueueName, jobId: string): boolean {
  return jobsNaming(subjects).some((q) => q.queue === queue && q.matches(jobId));
}

describe('jobsNaming', () => {
  it.each<[string, QueueName, string]>([
    ['an import', 'activity', importJobOptions(subjects.importIds[0]).jobId],
    ['a rollup of the patient', 'activity', rollupJob(other, subjects.patientIds[0]).jobId],
    ['a fan-out', 'webhooks', eventJob(subjects.eventIds[0]).jobId],
    ['a swept fan-out', 'webhooks', eventJob(subjects.eventIds[0], '-swept-29487').jobId],
    ['a first attempt', 'webhooks', deliveryJob(subjects.deliveryIds[0], 0).jobId],
    ['a retry', 'webhooks', deliveryJob(subjects.deliveryIds[0], 3, 5000).jobId],
    ['a replay', 'webhooks', deliveryJob(subjects.deliveryIds[0], 0, 0, '-replay-2').jobId],
    ['an export', 'exports', fhirExportJob(subjects.exportIds[0]).jobId],
    ['a re-queued export', 'exports', fhirExportJob(subjects.exportIds[0], 2).jobId],
    ['a pull', 'sync', syncJob(subjects.connectionIds[0], `retry${now}`, now).jobId],
  ])('names %s', (_what, queue, jobId) => {
    expect(named(queue, jobId)).toBe(true);
  });

  it.each<[string, QueueName, string]>([
    ['another import', 'activity', importJobOptions(other).jobId],
    ['another patient’s rollup', 'activity', rollupJob(subjects.patientIds[0], other).jobId],
    ['another delivery', 'webhooks', deliveryJob(other, 1).jobId],
    ['another event', 'webhooks', eventJob(other).jobId],
    ['another export', 'exports', fhirExportJob(other).jobId],
    ['another connection’s pull', 'sync', syncJob(other, 'scheduled', now).jobId],
    ['an id of the wrong queue', 'sync', importJobOptions(subjects.importIds[0]).jobId],
    ['an adherence period', 'adherence', `adherence:${subjects.patientIds[0]}`],
  ])('does not name %s', (_what, queue, jobId) => {
    expect(named(queue, jobId)).toBe(false);
  });
});
