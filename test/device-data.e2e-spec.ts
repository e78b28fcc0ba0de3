import { SampleStorageRepository } from '@app/persistence';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, TestApp } from './support/app';
import { Clinic, seedClinic } from './support/factories';
import { importsOf, sourceLabel } from './support/imports';
import { deleteKeysOf } from './support/redis-keys';
import { withService } from './support/service';
import { specQueuePrefix, testRedisUrl } from './support/test-env';
import { createTestWorker } from './support/worker';

// Real device data counted exactly, one block per way it went wrong: each through the API and
// the worker. The corpus (device-corpus.e2e-spec.ts) replays whole documented payloads; these
// single out each rule.
const fixture = (path: string) => readFileSync(join(__dirname, 'fixtures', path), 'utf8');

/** `count` back-to-back samples of `seconds` each from `start`, `steps` each. */
function backToBack(start: string, count: number, seconds: number, steps: number) {
  const at = (i: number) => new Date(Date.parse(start) + i * seconds * 1000).toISOString();
  return Array.from({ length: count }, (_, i) => ({ start: at(i), end: at(i + 1), steps }));
}

describe('real device data', () => {
  const service = withService();
  let imports: ReturnType<typeof importsOf>;
  beforeAll(() => {
    imports = importsOf(service.t.http, service.c, service.t.db);
  });

  const storedSamples = async (patientId: string) =>
    (
      await service.t.db.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM activity_samples WHERE patient_id = $1',
        [patientId],
      )
    )[0].n;

  describe('1. the merge', () => {
    it('sums each source per minute first: records sharing minute boundaries lose nothing', async () => {
      const p = await imports.patient('UTC');
      // The phone's records last 61 s and share their boundaries, one step a second; the watch
      // saw another walk the same day, so the day is merged minute by minute.
      await imports.run(p.id, 'native', {
        source: { name: 'iPhone' },
        samples: backToBack('2026-11-10T17:27:01Z', 10, 61, 61),
      });
      await imports.run(p.id, 'native', {
        source: { name: 'Apple Watch' },
        samples: backToBack('2026-11-10T08:00:00Z', 5, 60, 100),
      });
      const [day] = await imports.daily(p.id, '2026-11-10', '2026-11-10');
      // 610 phone steps (no minute shared with the watch) + 500 watch steps.
      expect(day.steps).toBe(1110);
      expect(Object.fromEntries(day.sources.map((s) => [sourceLabel(s), s.steps]))).toEqual({
        iPhone: 610,
        'Apple Watch': 500,
      });
    });

    it('an identical copy of the phone as a second device changes no day', async () => {
      const p = await imports.patient('Europe/Paris');
      const phone = backToBack('2026-11-10T16:27:01Z', 40, 61, 61);
      const watch = backToBack('2026-11-10T16:40:00Z', 10, 60, 90);
      await imports.run(p.id, 'native', { source: { name: 'iPhone' }, samples: phone });
      await imports.run(p.id, 'native', { source: { name: 'Apple Watch' }, samples: watch });
      const before = await imports.daily(p.id, '2026-11-10', '2026-11-10');
      await imports.run(p.id, 'native', {
        source: { name: 'iPhone', device: 'copy' },
        samples: phone,
      });
      const after = await imports.daily(p.id, '2026-11-10', '2026-11-10');
      expect(after[0].steps).toBe(before[0].steps);
      expect(after[0].sources.map(sourceLabel)).toEqual(['Apple Watch', 'iPhone', 'iPhone / copy']);
    });
  });

  describe('2. Garmin', () => {
    const epoch = (user: string, type: string, steps: number, duration = 900) => ({
      userId: user,
      summaryId: `x-${user}-${type}`,
      activityType: type,
      steps,
      durationInSeconds: duration,
      activeTimeInSeconds: Math.min(duration, 300),
      startTimeInSeconds: 1794301200, // 2026-11-10T09:00:00Z
      startTimeOffsetInSeconds: 3600,
    });

    it('adds up the activity types of one window and replaces a re-sent one', async () => {
      const p = await imports.patient('Europe/Paris');
      const first = await imports.run(p.id, 'garmin', {
        epochs: [
          epoch('u1', 'SEDENTARY', 0),
          epoch('u1', 'WALKING', 346),
          epoch('u1', 'RUNNING', 427, 720),
        ],
      });
      expect(first).toMatchObject({ inserted: 3, duplicates: 0, updated: 0 });
      expect((await imports.daily(p.id, '2026-11-10', '2026-11-10'))[0].steps).toBe(773);
      // The running record again, complete: it replaces the partial one instead of adding to it.
      const resent = await imports.run(p.id, 'garmin', { epochs: [epoch('u1', 'RUNNING', 501)] });
      expect(resent).toMatchObject({ inserted: 0, updated: 1, duplicates: 0 });
      expect((await imports.daily(p.id, '2026-11-10', '2026-11-10'))[0].steps).toBe(847);
      // An older version arriving late (shorter) changes nothing.
      const stale = await imports.run(p.id, 'garmin', {
        epochs: [epoch('u1', 'RUNNING', 427, 720)],
      });
      expect(stale).toMatchObject({ inserted: 0, updated: 0, duplicates: 1 });
      expect(await storedSamples(p.id)).toBe(3);
    });

    it('puts a daily on its calendarDate, without a phantom next day', async () => {
      const p = await imports.patient('Europe/Paris');
      await imports.run(p.id, 'garmin', JSON.parse(fixture('garmin/dailies-travelling.json')));
      const days = await imports.daily(p.id, '2026-11-11', '2026-11-15');
      expect(days.map((d) => [d.date, d.steps])).toEqual([
        ['2026-11-12', 9000],
        ['2026-11-13', 4000],
      ]);
    });

    it('refuses a body naming two Garmin users, naming them, and stores nothing', async () => {
      const p = await imports.patient('Europe/Paris');
      const res = await imports
        .post(p.id, 'garmin', {
          epochs: [epoch('user-a', 'WALKING', 100), epoch('user-b', 'WALKING', 200)],
        })
        .expect(422);
      expect(res.body.errors).toEqual([
        {
          field: 'body',
          message: expect.stringMatching(/2 Garmin users \(user-a, user-b\)/),
        },
      ]);
      expect(await storedSamples(p.id)).toBe(0);
    });

    it('keeps two Garmin accounts of one patient as two sources', async () => {
      const p = await imports.patient('Europe/Paris');
      await imports.run(p.id, 'garmin', { epochs: [epoch('user-a', 'WALKING', 300)] });
      await imports.run(p.id, 'garmin', { epochs: [epoch('user-b', 'WALKING', 200)] });
      const [day] = await imports.daily(p.id, '2026-11-10', '2026-11-10');
      expect(day.sources.map((s) => [sourceLabel(s), s.steps])).toEqual([
        ['garmin (user-a)', 300],
        ['garmin (user-b)', 200],
      ]);
      // The same window from two accounts (two devices on one walk): the larger, not the sum.
      expect(day.steps).toBe(300);
    });
  });

  describe('3. Open mHealth', () => {
    it('refuses statistics and units the schemas do not allow, naming them', async () => {
      const p = await imports.patient('Europe/Paris');
      const interval = {
        time_interval: {
          start_date_time: '2026-11-10T08:00:00+01:00',
          end_date_time: '2026-11-10T09:00:00+01:00',
        },
      };
      const result = await imports.run(p.id, 'openmhealth', [
        { step_count: 640, effective_time_frame: interval },
        { step_count: 9000, descriptive_statistic: 'median', effective_time_frame: interval },
        { step_count: { value: 500, unit: 'count' }, effective_time_frame: interval },
        {
          activity_name: 'walking',
          distance: { value: 2, unit: 'miles' },
          effective_time_frame: interval,
        },
        {
          activity_name: 'walking',
          distance: { value: 2, unit: 'mi' },
          effective_time_frame: interval,
        },
      ]);
      expect(result).toMatchObject({ received: 5, inserted: 2, rejected: 3 });
      expect(result.errors).toEqual([
        {
          index: 1,
          reason: expect.stringMatching(/^step_count is the median \(descriptive_statistic\)/),
        },
        { index: 2, reason: 'step_count.unit must be steps, not count' },
        { index: 3, reason: expect.stringMatching(/^distance unit miles is not a length unit/) },
      ]);
      expect(await storedSamples(p.id)).toBe(2);
      expect((await imports.daily(p.id, '2026-11-10', '2026-11-10'))[0].steps).toBe(640);
    });
  });

  describe('4. Apple Health', () => {
    it('keeps steps typed into Health as a manual count at that instant, on its local day', async () => {
      const p = await imports.patient('Europe/Paris');
      const record = (start: string, end: string, value: number, entered: boolean) =>
        ` <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Health" sourceVersion="17.1" unit="count" creationDate="${start}" startDate="${start}" endDate="${end}" value="${value}"${
          entered ? '>\n  <MetadataEntry key="HKWasUserEntered" value="1"/>\n </Record>' : '/>'
        }`;
      const xml = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<HealthData locale="fr_FR">',
        ' <ExportDate value="2026-11-12 07:41:09 +0100"/>',
        // At local midnight: the day it names, not the one before.
        record('2026-11-11 00:00:00 +0100', '2026-11-11 00:00:00 +0100', 1500, true),
        record('2026-11-10 12:00:00 +0100', '2026-11-10 12:00:00 +0100', 2500, true),
        record('2026-11-10 18:00:00 +0100', '2026-11-10 18:10:00 +0100', 900, false),
        '</HealthData>',
      ].join('\n');
      const result = await imports.run(p.id, 'apple-health-xml', xml);
      expect(result).toMatchObject({ received: 3, inserted: 3, rejected: 0 });
      const days = await imports.daily(p.id, '2026-11-09', '2026-11-12');
      expect(days.map((d) => [d.date, d.steps, d.manualSteps])).toEqual([
        ['2026-11-10', 3400, 2500],
        ['2026-11-11', 1500, 1500],
      ]);
    });
  });

  describe('5. FHIR', () => {
    const steps = (id: string, quantity: object, more: object = {}) => ({
      resourceType: 'Observation',
      id,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '55423-8' }] },
      effectivePeriod: { start: '2026-11-12T10:00:00+01:00', end: '2026-11-12T10:30:00+01:00' },
      valueQuantity: quantity,
      ...more,
    });
    const ucum = (value: number, code: string) => ({
      value,
      system: 'http://unitsofmeasure.org',
      code,
    });
    const bundle = (...resources: object[]) => ({
      resourceType: 'Bundle',
      type: 'collection',
      entry: resources.map((resource) => ({ resource })),
    });

    it('checks units and status, and withdraws what an entered-in-error Observation stored', async () => {
      const p = await imports.patient('Europe/Paris');
      const first = await imports.run(
        p.id,
        'fhir',
        bundle(
          steps('a', ucum(1000, '{steps}')),
          steps('b', ucum(3, 'km')),
          steps('c', { value: 40, unit: 'min' }),
          steps('d', ucum(500, '{steps}'), { status: 'registered' }),
          steps('e', ucum(700, '/d'), {
            effectivePeriod: {
              start: '2026-11-12T14:00:00+01:00',
              end: '2026-11-12T14:30:00+01:00',
            },
          }),
        ),
      );
      expect(first).toMatchObject({ received: 5, inserted: 2, rejected: 3 });
      expect(first.errors).toEqual([
        {
          index: 1,
          reason: expect.stringMatching(/^valueQuantity code km is not a unit of steps/),
        },
        { index: 2, reason: 'valueQuantity unit min is not a unit of steps' },
        { index: 3, reason: expect.stringMatching(/^observation status is registered/) },
      ]);
      expect((await imports.daily(p.id, '2026-11-12', '2026-11-12'))[0].steps).toBe(1700);

      const withdrawn = await imports.run(
        p.id,
        'fhir',
        bundle(
          steps('e', ucum(700, '/d'), { status: 'entered-in-error' }),
          steps('a', ucum(1000, '{steps}')),
        ),
      );
      expect(withdrawn).toMatchObject({ received: 2, inserted: 0, updated: 1, duplicates: 1 });
      expect((await imports.daily(p.id, '2026-11-12', '2026-11-12'))[0].steps).toBe(1000);
      expect(await storedSamples(p.id)).toBe(1);
    });

    it('takes an amended Observation off the day it no longer falls on', async () => {
      const p = await imports.patient('Europe/Paris');
      // Another patient's Observation of the same id: never read as this one's stored version.
      const other = await imports.patient('Europe/Paris');
      await imports.run(other.id, 'fhir', bundle(steps('a', ucum(999, '{steps}'))));
      await imports.run(p.id, 'fhir', bundle(steps('a', ucum(1000, '{steps}'))));
      const amended = steps('a', ucum(1000, '{steps}'), {
        meta: { lastUpdated: '2026-11-14T09:00:00Z' },
        effectivePeriod: { start: '2026-11-13T10:00:00+01:00', end: '2026-11-13T10:30:00+01:00' },
      });
      expect(await imports.run(p.id, 'fhir', bundle(amended))).toMatchObject({ updated: 1 });
      const days = await imports.daily(p.id, '2026-11-12', '2026-11-13');
      const on = (date: string) => days.find((d) => d.date === date)?.steps ?? 0;
      expect([on('2026-11-12'), on('2026-11-13')]).toEqual([0, 1000]);
      expect((await imports.daily(other.id, '2026-11-12', '2026-11-12'))[0].steps).toBe(999);
    });

    it('moves an amended Observation into the month it now falls in (another partition)', async () => {
      const p = await imports.patient('UTC');
      // The months exist, whatever today's date (the worker creates them around today).
      await service.worker.get(SampleStorageRepository).ensurePartitions(new Date('2026-11-15'));
      await imports.run(
        p.id,
        'fhir',
        bundle(
          steps('m', ucum(1200, '{steps}'), {
            effectivePeriod: { start: '2026-10-31T10:00:00Z', end: '2026-10-31T10:30:00Z' },
          }),
        ),
      );
      const amended = steps('m', ucum(1200, '{steps}'), {
        meta: { lastUpdated: '2026-11-14T09:00:00Z' },
        effectivePeriod: { start: '2026-11-01T10:00:00Z', end: '2026-11-01T10:30:00Z' },
      });
      expect(await imports.run(p.id, 'fhir', bundle(amended))).toMatchObject({ updated: 1 });
      const days = await imports.daily(p.id, '2026-10-31', '2026-11-01');
      const on = (date: string) => days.find((d) => d.date === date)?.steps ?? 0;
      expect([on('2026-10-31'), on('2026-11-01')]).toEqual([0, 1200]);
      const rows = await service.t.db.query(
        `SELECT tableoid::regclass::text AS partition FROM activity_samples WHERE patient_id = $1`,
        [p.id],
      );
      expect(rows).toEqual([{ partition: 'activity_samples_2026_11' }]);
    });

    it('lets the later of a withdrawal and a version of one Observation in a bundle stand', async () => {
      const p = await imports.patient('Europe/Paris');
      const withdrawn = { status: 'entered-in-error' };
      await imports.run(
        p.id,
        'fhir',
        bundle(
          steps('kept', ucum(800, '{steps}'), withdrawn),
          steps('kept', ucum(800, '{steps}')),
          steps('gone', ucum(300, '{steps}'), {
            effectivePeriod: {
              start: '2026-11-12T14:00:00+01:00',
              end: '2026-11-12T14:30:00+01:00',
            },
          }),
          steps('gone', ucum(300, '{steps}'), withdrawn),
        ),
      );
      expect((await imports.daily(p.id, '2026-11-12', '2026-11-12'))[0].steps).toBe(800);
      expect(await storedSamples(p.id)).toBe(1);
    });

    it('reads steps from a component coded as steps', async () => {
      const p = await imports.patient('Europe/Paris');
      const panel = {
        resourceType: 'Observation',
        id: 'walk-summary',
        status: 'final',
        code: { text: 'Walk' },
        effectivePeriod: { start: '2026-11-12T15:00:00+01:00', end: '2026-11-12T16:00:00+01:00' },
        component: [
          {
            code: { coding: [{ system: 'http://loinc.org', code: '55423-8' }] },
            valueQuantity: ucum(2200, '{steps}'),
          },
        ],
      };
      await imports.run(p.id, 'fhir', panel);
      expect((await imports.daily(p.id, '2026-11-12', '2026-11-12'))[0].steps).toBe(2200);
    });
  });

  describe('6. Health Connect', () => {
    it('names the source after dataOrigin given as a plain string', async () => {
      const p = await imports.patient('America/Los_Angeles');
      await imports.run(p.id, 'health-connect', {
        records: [
          {
            startTime: '2026-11-10T16:00:00.000Z',
            endTime: '2026-11-10T16:10:00.000Z',
            count: 900,
            metadata: { id: 'r-1', dataOrigin: 'com.sec.android.app.shealth', recordingMethod: 2 },
          },
        ],
      });
      const [day] = await imports.daily(p.id, '2026-11-10', '2026-11-10');
      expect(day.sources.map(sourceLabel)).toEqual(['com.sec.android.app.shealth']);
    });
  });
});

describe('7. one size limit for JSON imports, from the config', () => {
  // A worker of its own with a lower limit than the API's (two processes configured apart):
  // its queue prefix keeps other specs' workers from taking these imports.
  const env = { QUEUE_PREFIX: specQueuePrefix('limits') };
  let t: TestApp;
  let c: Clinic;

  beforeAll(async () => {
    t = await createTestApp(env);
    c = await seedClinic(t.http);
  });
  afterAll(async () => {
    try {
      await t?.close();
    } finally {
      await deleteKeysOf(testRedisUrl(), env.QUEUE_PREFIX);
    }
  });

  // Open mHealth step counts: a format the API stores and the worker imports (a native batch
  // is written in its request and never reaches the worker).
  const payload = (bytes: number) => {
    const points = backToBack('2026-11-10T08:00:00Z', 60, 60, 80).map((s) => ({
      step_count: s.steps,
      effective_time_frame: { time_interval: { start_date_time: s.start, end_date_time: s.end } },
    }));
    const body = JSON.stringify(points);
    // JSON allows whitespace: padding makes the body as large as wanted.
    return body.slice(0, -1) + ' '.repeat(bytes - body.length) + ']';
  };
  const chunksOf = async (importId: string) =>
    (
      await t.db.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM activity_import_chunks WHERE import_id = $1',
        [importId],
      )
    )[0].n;

  it('imports a payload above the old hard-coded 20 MiB when the config allows it', async () => {
    const worker = await createTestWorker(env);
    try {
      const imports = importsOf(t.http, c, t.db);
      const result = await imports.run(c.patient.id, 'openmhealth', payload(21 * 1024 * 1024));
      expect(result).toMatchObject({ status: 'completed', inserted: 60 });
      expect(await chunksOf(result.id)).toBe(0);
    } finally {
      await worker.close();
    }
  });

  it('fails an import larger than the worker’s limit and deletes its stored payload', async () => {
    const worker = await createTestWorker({ ...env, IMPORT_JSON_MAX_BYTES: String(64 * 1024) });
    try {
      const imports = importsOf(t.http, c, t.db);
      const result = await imports.run(c.patient.id, 'openmhealth', payload(100 * 1024));
      expect(result).toMatchObject({
        status: 'failed',
        failureReason: 'payload is larger than 65536 bytes',
      });
      expect(await chunksOf(result.id)).toBe(0);
    } finally {
      await worker.close();
    }
  });
});
