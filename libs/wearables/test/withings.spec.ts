import fc from 'fast-check';
import { localDateOf } from '@app/domain';
import { type ActivitySample, parseImport, payloadOf } from '../src';
import { withingsBodyProblem } from '../src/parsers/withings';
import {
  collect,
  contextIn,
  importFixture,
  row,
  rowsOf,
  sortedRejections,
  stepsByDayAndSource,
} from './fixture-import';

const PARIS = 'Europe/Paris';
const SEED = 20260329;
const W = 'withings';
const PULSE = '892359876fd8805ac45bab078c4828692f0276b1';
const day = { granularity: 'day' as const, device: 'Pulse HR' };

const parse = (body: unknown, timezone = PARIS) =>
  collect(parseImport('withings', payloadOf(JSON.stringify(body)), contextIn(timezone)));

const stored = (s: ActivitySample) => ({
  record: s.record,
  source: s.source,
  start: s.start.toISOString(),
  end: s.end.toISOString(),
  steps: s.steps,
  granularity: s.granularity,
});
const byRecord = (samples: ActivitySample[]) =>
  samples.map(stored).sort((a, b) => (a.record!.id < b.record!.id ? -1 : 1));

describe('Withings parser', () => {
  it('turns Getactivity rows into day samples over each row’s own local day', async () => {
    const result = await importFixture('withings', 'withings/getactivity.json', PARIS);

    expect(rowsOf(result.samples)).toEqual([
      row(0, '2026-03-27T23:00:00Z', '2026-03-28T23:00:00Z', 8412, W, day),
      // The day Paris springs forward: 23 hours.
      row(1, '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z', 6120, W, day),
      row(2, '2026-03-29T22:00:00Z', '2026-03-30T22:00:00Z', 9034, W, day),
      // The tracker and the phone app on the same day: two sources.
      row(3, '2026-11-01T23:00:00Z', '2026-11-02T23:00:00Z', 10450, W, day),
      row(4, '2026-11-01T23:00:00Z', '2026-11-02T23:00:00Z', 9870, W, {
        granularity: 'day',
      }),
      // Travelling: the day in the row's timezone, not the patient's.
      row(5, '2026-11-05T05:00:00Z', '2026-11-06T05:00:00Z', 7002, W, day),
    ]);

    // `modified` (unix seconds) is the revision, in milliseconds.
    expect(result.samples.map((s) => s.record)).toEqual([
      { id: `withings:daily:${PULSE}:2026-03-28`, revision: Date.parse('2026-03-29T06:10:00Z') },
      { id: `withings:daily:${PULSE}:2026-03-29`, revision: Date.parse('2026-03-30T05:55:00Z') },
      { id: `withings:daily:${PULSE}:2026-03-30`, revision: Date.parse('2026-03-31T06:02:00Z') },
      { id: `withings:daily:${PULSE}:2026-11-02`, revision: Date.parse('2026-11-02T18:30:00Z') },
      { id: 'withings:daily:brand-1:2026-11-02', revision: Date.parse('2026-11-02T18:31:00Z') },
      { id: `withings:daily:${PULSE}:2026-11-05`, revision: Date.parse('2026-11-06T12:00:00Z') },
    ]);

    expect(stepsByDayAndSource(result.samples, PARIS)).toEqual({
      '2026-03-28 withings / Pulse HR': 8412,
      '2026-03-29 withings / Pulse HR': 6120,
      '2026-03-30 withings / Pulse HR': 9034,
      '2026-11-02 withings / Pulse HR': 10450,
      '2026-11-02 withings': 9870,
      '2026-11-05 withings / Pulse HR': 7002,
    });

    expect(sortedRejections(result.rejections)).toEqual([
      { index: 6, reason: 'activities[6]: steps is missing (ask for it in data_fields)' },
      { index: 7, reason: 'activities[7]: date must be a date YYYY-MM-DD' },
      { index: 8, reason: 'activities[8]: timezone Europe/Pariss is not an IANA time zone' },
      { index: 9, reason: 'starts in the future' },
    ]);
  });

  it('replaces a day re-sent with a later modified time, under the same record id', async () => {
    const first = await importFixture('withings', 'withings/getactivity.json', PARIS);
    const again = await importFixture('withings', 'withings/getactivity-resent.json', PARIS);
    const stored = new Map(first.samples.map((s) => [s.record!.id, s.record!.revision]));

    expect(again.samples.map((s) => [s.record!.id, s.steps])).toEqual([
      [`withings:daily:${PULSE}:2026-11-02`, 11873],
      ['withings:daily:brand-1:2026-11-02', 9870],
    ]);
    // The tracker's total grew (a higher revision replaces it); the app's is the same version.
    expect(
      again.samples.map((s) => Math.sign(s.record!.revision - stored.get(s.record!.id)!)),
    ).toEqual([1, 0]);
  });

  it('turns a Getintradayactivity series into intervals [t, t + duration)', async () => {
    const result = await importFixture('withings', 'withings/getintradayactivity.json', PARIS);
    const pulse = { device: 'Pulse HR' };

    expect(rowsOf(result.samples)).toEqual([
      // 01:58 CET, 01:59 CET, then 03:00 and 03:01 CEST: one minute apart each.
      row(0, '2026-03-29T00:58:00Z', '2026-03-29T00:59:00Z', 34, W, pulse),
      row(1, '2026-03-29T00:59:00Z', '2026-03-29T01:00:00Z', 41, W, pulse),
      row(2, '2026-03-29T01:00:00Z', '2026-03-29T01:01:00Z', 12, W, pulse),
      // A minute without steps is data ("no activity").
      row(3, '2026-03-29T01:01:00Z', '2026-03-29T01:02:00Z', 0, W, pulse),
      // 4 (a heart rate reading) and 7 (a zero-length placeholder) are not step records.
    ]);
    expect(result.samples.map((s) => s.record)).toEqual(
      [1774745880, 1774745940, 1774746000, 1774746060].map((t) => ({
        id: `withings:intraday:${PULSE}:${t}`,
        revision: 0,
      })),
    );
    expect(stepsByDayAndSource(result.samples, PARIS)).toEqual({
      '2026-03-29 withings / Pulse HR': 87,
    });
    expect(sortedRejections(result.rejections)).toEqual([
      { index: 5, reason: 'series[1774746180]: duration must be a whole number of seconds' },
      { index: 6, reason: 'more than 100 steps a second' },
    ]);
  });

  it('refuses an error response as a whole, naming its status', async () => {
    const busy = await importFixture('withings', 'withings/status-601.json', PARIS);
    expect(busy.samples).toEqual([]);
    expect(busy.rejections).toEqual([
      { reason: 'Withings answered status 601 (too many requests); nothing imported' },
    ]);

    const expired = await parse({
      status: 401,
      body: {},
      error: 'XRequestID: Not provided invalid_token: The access token provided is invalid',
    });
    expect(expired.rejections).toEqual([
      {
        reason:
          'Withings answered status 401 (authentication failed): XRequestID: Not provided invalid_token: The access token provided is invalid; nothing imported',
      },
    ]);

    // Even with a body that holds rows, as some error responses do.
    const invalid = await parse({ status: 293, body: { activities: [{ date: '2026-11-02' }] } });
    expect(invalid.rejections).toEqual([
      { reason: 'Withings answered status 293; nothing imported' },
    ]);
  });

  it('refuses a body that is neither Getactivity nor Getintradayactivity', async () => {
    const noBody = await importFixture('withings', 'withings/no-body.json', PARIS);
    expect(noBody.rejections).toEqual([
      { reason: 'body needs body.activities (Getactivity) or body.series (Getintradayactivity)' },
    ]);
    for (const body of [[], { body: { activities: [] } }, { status: 'ok', body: {} }]) {
      expect((await parse(body)).rejections).toEqual([
        { reason: 'the body must be a Withings response { "status": 0, "body": { ... } }' },
      ]);
    }
    expect(withingsBodyProblem({ status: 0, body: { measuregrps: [] } })).toBe(
      'body needs body.activities (Getactivity) or body.series (Getintradayactivity)',
    );
  });

  it('takes an empty series written [] and an empty activities list', async () => {
    for (const body of [
      { status: 0, body: { series: [] } },
      { status: 0, body: { activities: [], more: false, offset: 0 } },
    ]) {
      const result = await parse(body);
      expect([result.samples, result.rejections]).toEqual([[], []]);
    }
  });

  it('places a row without timezone in the patient’s zone', async () => {
    const { samples } = await parse(
      { status: 0, body: { activities: [{ date: '2026-11-10', steps: '4200', deviceid: 'd1' }] } },
      'America/New_York',
    );
    expect(samples.map((s) => [s.start.toISOString(), s.end.toISOString(), s.steps])).toEqual([
      ['2026-11-10T05:00:00.000Z', '2026-11-11T05:00:00.000Z', 4200],
    ]);
  });
});

describe('Withings responses (properties)', () => {
  const ZONES = [
    'Europe/Paris',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
    'Pacific/Chatham',
    'America/St_Johns',
    'UTC',
  ];
  const FIRST_DAY = Date.parse('2020-01-01T00:00:00Z');
  const dateArb = fc
    .nat({ max: Math.floor((Date.parse('2026-11-18T00:00:00Z') - FIRST_DAY) / 86_400_000) })
    .map((n) => new Date(FIRST_DAY + n * 86_400_000).toISOString().slice(0, 10));
  const activityArb = fc.record({
    date: dateArb,
    timezone: fc.constantFrom(...ZONES),
    hash_deviceid: fc.constantFrom(PULSE, 'a1c0ffee00000000000000000000000000000002', null),
    brand: fc.constantFrom(1, 18),
    is_tracker: fc.boolean(),
    steps: fc.nat({ max: 60_000 }),
    modified: fc.integer({ min: 1577836800, max: 1795000000 }),
  });
  const activitiesArb = fc.uniqueArray(activityArb, {
    selector: (a) => `${a.hash_deviceid ?? `brand-${a.brand}`}:${a.date}`,
    maxLength: 40,
  });

  it('spans each row’s local day, midnight to midnight in its zone', async () => {
    await fc.assert(
      fc.asyncProperty(activitiesArb, async (activities) => {
        const { samples, rejections } = await parse({ status: 0, body: { activities } });
        expect(rejections).toEqual([]);
        samples.forEach((s, i) => {
          const { date, timezone } = activities[i];
          const hours = (s.end.getTime() - s.start.getTime()) / 3_600_000;
          expect(localDateOf(s.start, timezone)).toBe(date);
          expect(localDateOf(new Date(s.start.getTime() - 1), timezone)).not.toBe(date);
          expect(localDateOf(new Date(s.end.getTime() - 1), timezone)).toBe(date);
          expect(localDateOf(s.end, timezone)).not.toBe(date);
          expect(hours).toBeGreaterThanOrEqual(23);
          expect(hours).toBeLessThanOrEqual(25);
        });
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('gives the same samples and record ids whatever the order, and imported again', async () => {
    await fc.assert(
      fc.asyncProperty(
        activitiesArb.chain((a) =>
          fc.tuple(fc.constant(a), fc.shuffledSubarray(a, { minLength: a.length })),
        ),
        async ([activities, shuffled]) => {
          const first = await parse({ status: 0, body: { activities } });
          const again = await parse({ status: 0, body: { activities } });
          const reordered = await parse({ status: 0, body: { activities: shuffled } });
          const ids = first.samples.map((s) => s.record?.id);
          expect(new Set(ids).size).toBe(activities.length);
          expect(again.samples.map((s) => s.record?.id)).toEqual(ids);
          expect(byRecord(reordered.samples)).toEqual(byRecord(first.samples));
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('gives the same samples for a series fetched in two parts', async () => {
    const START = 1793613600; // 2026-11-02T10:00:00Z
    const seriesArb = fc.uniqueArray(
      fc.record({
        minute: fc.nat({ max: 24 * 60 - 1 }),
        steps: fc.nat({ max: 180 }),
        deviceid: fc.constantFrom(PULSE, 'a1c0ffee00000000000000000000000000000002'),
      }),
      { selector: (e) => e.minute, maxLength: 80 },
    );
    const seriesOf = (entries: { minute: number; steps: number; deviceid: string }[]) =>
      Object.fromEntries(
        entries.map((e) => [
          String(START + e.minute * 60),
          { deviceid: e.deviceid, model: 'Pulse HR', model_id: 59, steps: e.steps, duration: 60 },
        ]),
      );
    await fc.assert(
      fc.asyncProperty(seriesArb, fc.nat(), async (entries, cut) => {
        const at = cut % (entries.length + 1);
        const whole = await parse({ status: 0, body: { series: seriesOf(entries) } });
        const first = await parse({ status: 0, body: { series: seriesOf(entries.slice(0, at)) } });
        const second = await parse({ status: 0, body: { series: seriesOf(entries.slice(at)) } });
        expect(whole.rejections).toEqual([]);
        expect(whole.samples).toHaveLength(entries.length);
        expect(byRecord([...first.samples, ...second.samples])).toEqual(byRecord(whole.samples));
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
