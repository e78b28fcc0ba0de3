import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, seedClinic } from './support/factories';
import { finished, start } from './support/processes';
import { deleteKeysOf } from './support/redis-keys';
import { specQueuePrefix, testRedisUrl } from './support/test-env';
import { eventually } from './support/worker';

// One-minute step records from 2025-06-01, as an Apple Health export lists them.
const RECORDS = 120_000;
const STEPS_EACH = 10;

function appleExport(records: number): Buffer {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE HealthData [\n<!ELEMENT HealthData (ExportDate,Me,(Record|Workout)*)>\n]>',
    '<HealthData locale="en_GB">',
    ' <ExportDate value="2026-11-01 09:00:00 +0000"/>',
    ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1970-01-01"/>',
  ];
  const start = Date.parse('2025-06-01T00:00:00Z');
  const stamp = (ms: number) =>
    new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' +0000';
  for (let i = 0; i < records; i++) {
    const from = start + i * 60_000;
    lines.push(
      ` <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Crash Test iPhone" unit="count" creationDate="${stamp(from + 60_000)}" startDate="${stamp(from)}" endDate="${stamp(from + 60_000)}" value="${STEPS_EACH}"/>`,
    );
  }
  lines.push('</HealthData>');
  return Buffer.from(lines.join('\n'));
}

describe('an import survives its worker being killed', () => {
  // Its own queue prefix: no other spec's worker may pick this import up.
  const env = {
    QUEUE_PREFIX: specQueuePrefix('crash'),
    JOB_LOCK_MS: '2000',
    IMPORT_BATCH_SIZE: '5000',
  };
  let t: TestApp;
  let c: Clinic;
  const workers: ReturnType<typeof start>[] = [];

  beforeAll(async () => {
    t = await createTestApp(env);
    c = await seedClinic(t.http);
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    try {
      await t?.close();
    } finally {
      // The killed worker's job and locks are left in Redis: they are this spec's to remove.
      await deleteKeysOf(testRedisUrl(), env.QUEUE_PREFIX);
    }
  });

  it('completes after SIGKILL mid-import and a restart, storing every sample exactly once', async () => {
    const upload = await t.http
      .post(`/v1/patients/${c.patient.id}/activity-imports?format=apple-health-xml`)
      .set(bearer(c.appKey))
      .set('Content-Type', 'application/xml')
      .send(appleExport(RECORDS))
      .expect(202);
    const importId: string = upload.body.id;
    const progress = async () =>
      (
        await t.db.query(
          'SELECT status, processed, inserted, attempts FROM activity_imports WHERE id = $1',
          [importId],
        )
      )[0];

    const first = start('worker', env);
    workers.push(first);
    // Kill it once some batches are committed and many remain.
    const midway = await eventually(
      async () => {
        const p = await progress();
        return p.processed >= 10_000 && p.processed < RECORDS - 20_000 ? p : null;
      },
      60_000,
      'first batches committed',
    );
    first.kill('SIGKILL');
    const killed = await finished(first);
    expect(killed.signal).toBe('SIGKILL');
    expect(midway.status).toBe('processing');

    const second = start('worker', env);
    workers.push(second);
    try {
      const done = await eventually(
        async () => {
          const p = await progress();
          return p.status === 'completed' || p.status === 'failed' ? p : null;
        },
        90_000,
        'import completed after restart',
      );
      expect(done).toMatchObject({ status: 'completed', processed: RECORDS, inserted: RECORDS });
      expect(done.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      second.kill('SIGTERM');
      await finished(second);
    }

    const [{ rows, steps }] = await t.db.query(
      'SELECT count(*)::int AS rows, sum(steps)::int AS steps FROM activity_samples WHERE patient_id = $1',
      [c.patient.id],
    );
    expect(rows).toBe(RECORDS);
    expect(steps).toBe(RECORDS * STEPS_EACH);
    const [{ total }] = await t.db.query(
      'SELECT sum(steps)::int AS total FROM activity_daily WHERE patient_id = $1',
      [c.patient.id],
    );
    expect(total).toBe(RECORDS * STEPS_EACH);
    const status = await t.http
      .get(`/v1/activity-imports/${importId}`)
      .set(bearer(c.appKey))
      .expect(200);
    expect(status.body).toMatchObject({
      received: RECORDS,
      inserted: RECORDS,
      duplicates: 0,
      rejected: 0,
    });
  });
});
