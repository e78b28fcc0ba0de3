import fc from 'fast-check';
import { type ActivitySample, parseImport, payloadOf } from '../src';
import { googleHealthBodyProblem } from '../src/parsers/google-health';
import {
  collect,
  contextIn,
  fixtureText,
  importFixture,
  row,
  rowsOf,
  sortedRejections,
  stepsByDayAndSource,
} from './fixture-import';

const PARIS = 'Europe/Paris';
const SEED = 20261102;
const WATCH = 'Pixel Watch 3';
const PHONE = 'Pixel 8 (com.google.android.apps.fitness)';
const FIT = 'com.google.android.apps.fitness';
const WEB_CLIENT = '604173892215-k3vq8m2d7s1e.apps.googleusercontent.com';
const GH = 'google-health';

const parse = (body: unknown, timezone = PARIS) =>
  collect(parseImport('google-health', payloadOf(JSON.stringify(body)), contextIn(timezone)));

/** A sample without where it sat in its page: what two pages and one page must agree on. */
const stored = (s: ActivitySample) => ({
  record: s.record,
  source: s.source,
  start: s.start.toISOString(),
  end: s.end.toISOString(),
  steps: s.steps,
  manual: s.manual,
  granularity: s.granularity,
});
const byRecord = (samples: ActivitySample[]) =>
  samples.map(stored).sort((a, b) => (a.record!.id < b.record!.id ? -1 : 1));

const interval = (start: string, end: string) => ({
  startTime: start,
  startUtcOffset: '3600s',
  endTime: end,
  endUtcOffset: '3600s',
});
const watchSource = {
  platform: 'FITBIT',
  recordingMethod: 'PASSIVELY_MEASURED',
  device: { displayName: 'Pixel Watch 3', manufacturer: 'Google', formFactor: 'WATCH' },
};
const watchPoint = (
  count: unknown,
  start = '2026-11-02T16:01:00Z',
  end = '2026-11-02T16:02:00Z',
) => ({
  dataSource: watchSource,
  steps: { count, interval: interval(start, end) },
});

describe('Google Health parser', () => {
  it('turns a dataPoints.list page into one-minute samples of each device', async () => {
    const result = await importFixture('google-health', 'google-health/steps-page.json', PARIS);

    expect(rowsOf(result.samples)).toEqual([
      // Newest first; watch and phone over the same walk, back-to-back minutes sharing bounds.
      row(1, '2026-11-02T16:02:00Z', '2026-11-02T16:03:00Z', 98, GH, { device: WATCH }),
      row(2, '2026-11-02T16:02:00Z', '2026-11-02T16:03:00Z', 91, GH, { device: PHONE }),
      row(3, '2026-11-02T16:01:00Z', '2026-11-02T16:02:00Z', 104, GH, { device: WATCH }),
      row(4, '2026-11-02T16:01:00Z', '2026-11-02T16:02:00Z', 99, GH, { device: PHONE }),
      row(5, '2026-11-02T16:00:00Z', '2026-11-02T16:01:00Z', 87, GH, { device: WATCH }),
      row(6, '2026-11-02T16:00:00Z', '2026-11-02T16:01:00Z', 80, GH, { device: PHONE }),
      // recordingMethod MANUAL, no device: the app that wrote it.
      row(7, '2026-11-02T08:00:00Z', '2026-11-02T08:30:00Z', 1500, GH, {
        device: FIT,
        manual: true,
      }),
      // A named data point written through the API by a web client.
      row(8, '2026-11-02T07:00:00Z', '2026-11-02T07:15:00Z', 640, GH, { device: WEB_CLIENT }),
      // The night Paris falls back: offsets 7200s then 3600s, the instants contiguous.
      row(9, '2026-10-25T01:00:00Z', '2026-10-25T01:01:00Z', 23, GH, { device: WATCH }),
      row(10, '2026-10-25T00:59:00Z', '2026-10-25T01:00:00Z', 31, GH, { device: WATCH }),
    ]);

    expect(stepsByDayAndSource(result.samples, PARIS)).toEqual({
      [`2026-11-02 ${GH} / ${WATCH}`]: 289,
      [`2026-11-02 ${GH} / ${PHONE}`]: 270,
      [`2026-11-02 ${GH} / ${FIT}`]: 1500,
      [`2026-11-02 ${GH} / ${WEB_CLIENT}`]: 640,
      [`2026-10-25 ${GH} / ${WATCH}`]: 54,
    });

    const notAWholeNumber =
      'steps.count must be a whole number of 0 or more, written as a string ("52")';
    expect(sortedRejections(result.rejections)).toEqual([
      { index: 0, reason: 'starts in the future' },
      { index: 11, reason: `dataPoints[11]: ${notAWholeNumber}` },
      { index: 12, reason: `dataPoints[12]: ${notAWholeNumber}` },
      { index: 13, reason: 'dataPoints[13]: steps.interval is missing' },
      { index: 14, reason: 'dataPoints[14]: steps.interval ends before it starts' },
      { index: 15, reason: 'dataPoints[15]: not a steps data point (it holds distance)' },
      { index: 16, reason: 'dataPoints[16]: steps.count is missing' },
    ]);
  });

  it('names a data point by its name, else by its data source and interval', async () => {
    const { samples } = await importFixture(
      'google-health',
      'google-health/steps-page.json',
      PARIS,
    );
    const ids = samples.map((s) => s.record);

    expect(ids.slice(0, 2)).toEqual([
      {
        id: 'google-health:source:FITBIT|Pixel%20Watch%203|Google|:2026-11-02T16:02:00.000Z/2026-11-02T16:03:00.000Z',
        revision: 0,
      },
      {
        id: `google-health:source:HEALTH_CONNECT|Pixel%208|Google|${FIT}:2026-11-02T16:02:00.000Z/2026-11-02T16:03:00.000Z`,
        revision: 0,
      },
    ]);
    expect(ids[7]).toEqual({
      id: 'google-health:name:users/4a7f2c19e0b35d86/dataTypes/steps/dataPoints/walk-log-20261102-0800',
      revision: 0,
    });
    expect(new Set(ids.map((r) => r?.id)).size).toBe(samples.length);
  });

  it('re-fetches an overlapping window as the same records, a changed count included', async () => {
    const first = await importFixture('google-health', 'google-health/steps-page.json', PARIS);
    const again = await importFixture(
      'google-health',
      'google-health/steps-page-refetched.json',
      PARIS,
    );
    const counts = (samples: ActivitySample[]) =>
      new Map(samples.map((s) => [s.record!.id, s.steps]));
    const before = counts(first.samples);
    const after = counts(again.samples);

    // Every record of the window already stored comes back under its id (revision 0: the later
    // one wins), so nothing is counted twice; only the minute after the window is new.
    const known = [...after.keys()].filter((id) => before.has(id));
    expect(known).toHaveLength(4);
    expect([...after.keys()].filter((id) => !before.has(id))).toEqual([
      'google-health:source:FITBIT|Pixel%20Watch%203|Google|:2026-11-02T16:03:00.000Z/2026-11-02T16:04:00.000Z',
    ]);
    expect(known.filter((id) => before.get(id) !== after.get(id))).toEqual([
      'google-health:source:FITBIT|Pixel%20Watch%203|Google|:2026-11-02T16:01:00.000Z/2026-11-02T16:02:00.000Z',
    ]);
    expect(again.samples.find((s) => s.steps === 112)?.record?.revision).toBe(0);
    expect(again.rejections).toEqual([]);
  });

  it('keeps the larger count of one record sent twice in a page, in either order', async () => {
    for (const counts of [
      ['101', '104'],
      ['104', '101'],
    ]) {
      const { samples, rejections } = await parse({ dataPoints: counts.map((c) => watchPoint(c)) });
      const loser = counts.indexOf('101');
      expect(samples.map((s) => [s.ref.index, s.steps])).toEqual([[1 - loser, 104]]);
      expect(rejections).toEqual([
        {
          index: loser,
          reason: `dataPoints[${loser}]: the same record as dataPoints[${1 - loser}] (source and interval) with another count: 104 is kept, not 101`,
        },
      ]);
    }
    // The same count twice: both go on, and the database stores the record once.
    const twice = await parse({ dataPoints: [watchPoint('104'), watchPoint('104')] });
    expect(twice.samples.map((s) => s.record?.id)).toEqual([
      twice.samples[0].record?.id,
      twice.samples[0].record?.id,
    ]);
    expect(twice.rejections).toEqual([]);
  });

  it.each<[string, unknown, number | null]>([
    ['an int64 string', '52', 52],
    ['zero', '0', 0],
    ['a JSON integer (proto3 JSON accepts either)', 52, 52],
    ['a fraction', '52.0', null],
    ['an exponent', '5e1', null],
    ['a negative count', '-1', null],
    ['hexadecimal', '0x34', null],
    ['spaces', ' 52', null],
    ['an empty string', '', null],
    ['beyond a safe integer', '9007199254740993', null],
    ['a negative JSON number', -3, null],
  ])('reads the count %s', async (_, count, steps) => {
    const { samples, rejections } = await parse({ dataPoints: [watchPoint(count)] });
    expect(samples.map((s) => s.steps)).toEqual(steps === null ? [] : [steps]);
    expect(rejections.length).toBe(steps === null ? 1 : 0);
  });

  it.each<[string, object, string | null]>([
    [
      'a device without a name',
      { device: { manufacturer: 'Samsung', formFactor: 'RING' } },
      'Samsung ring',
    ],
    ['a form factor alone', { device: { formFactor: 'FITNESS_BAND' } }, 'fitness band'],
    ['a platform alone', { platform: 'HEALTH_KIT' }, 'HealthKit'],
    ['an unspecified platform', { platform: 'PLATFORM_UNSPECIFIED' }, null],
    ['no data source', {}, null],
  ])('names the device of %s', async (_, dataSource, device) => {
    const { samples } = await parse({
      dataPoints: [
        {
          dataSource,
          steps: { count: '5', interval: interval('2026-11-02T16:01:00Z', '2026-11-02T16:02:00Z') },
        },
      ],
    });
    expect(samples.map((s) => s.source)).toEqual([{ name: GH, device }]);
  });

  it('refuses a time without an offset', async () => {
    const { rejections } = await parse({
      dataPoints: [watchPoint('5', '2026-11-02T16:01:00', '2026-11-02T16:02:00Z')],
    });
    expect(rejections).toEqual([
      { index: 0, reason: 'dataPoints[0]: steps.interval.startTime needs an offset (Z or ±HH:MM)' },
    ]);
  });

  it('refuses a body that is not a dataPoints.list page as a whole', async () => {
    const rollUp = await importFixture(
      'google-health',
      'google-health/rollup-not-list.json',
      PARIS,
    );
    expect(rollUp.samples).toEqual([]);
    expect(rollUp.rejections).toEqual([
      { reason: 'the body needs a dataPoints array (a ListDataPointsResponse of dataPoints.list)' },
    ]);

    const error = await parse({
      error: {
        code: 429,
        message: 'Quota exceeded for quota metric',
        status: 'RESOURCE_EXHAUSTED',
      },
    });
    expect(error.rejections).toEqual([
      {
        reason:
          'the body is a Google API error (429 RESOURCE_EXHAUSTED): Quota exceeded for quota metric',
      },
    ]);

    const array = await parse([watchPoint('5')]);
    expect(array.rejections).toEqual([
      { reason: 'the body must be a ListDataPointsResponse { "dataPoints": [...] }' },
    ]);
  });

  it('takes {} for a page without data points (Google leaves an empty list out)', async () => {
    for (const body of [{}, { nextPageToken: '' }, { dataPoints: [] }]) {
      const result = await parse(body);
      expect([result.samples, result.rejections, result.batchCount]).toEqual([[], [], 1]);
      expect(googleHealthBodyProblem(body)).toBeNull();
    }
  });

  it('checks the envelope as the parser does', () => {
    expect(
      googleHealthBodyProblem(JSON.parse(fixtureText('google-health/steps-page.json'))),
    ).toBeNull();
    expect(googleHealthBodyProblem({ dataPoints: {} })).toBe(
      'the body needs a dataPoints array (a ListDataPointsResponse of dataPoints.list)',
    );
  });
});

describe('Google Health pages (properties)', () => {
  const SOURCES = [
    watchSource,
    {
      platform: 'HEALTH_CONNECT',
      recordingMethod: 'PASSIVELY_MEASURED',
      device: { displayName: 'Pixel 8', manufacturer: 'Google', formFactor: 'PHONE' },
      application: { packageName: FIT },
    },
    {
      platform: 'HEALTH_CONNECT',
      recordingMethod: 'MANUAL',
      application: { packageName: 'com.sec.android.app.shealth' },
    },
    { platform: 'FITBIT' },
  ];
  const DAY_START = Date.parse('2026-11-02T00:00:00Z');
  const minute = (n: number) => new Date(DAY_START + n * 60_000).toISOString();

  // Data points of a few sources, at most one per source and minute (a record appears once),
  // some named; newest first, as the API orders them.
  const pageArb = fc
    .uniqueArray(
      fc.record({
        source: fc.nat({ max: SOURCES.length - 1 }),
        minute: fc.nat({ max: 24 * 60 - 2 }),
        length: fc.constantFrom(1, 1, 1, 5),
        count: fc.nat({ max: 150 }),
        named: fc.boolean(),
      }),
      { selector: (p) => `${p.source}:${p.minute}`, maxLength: 60 },
    )
    .map((points) =>
      points
        .sort((a, b) => b.minute - a.minute || a.source - b.source)
        .map((p) => ({
          ...(p.named
            ? { name: `users/u1/dataTypes/steps/dataPoints/p-${p.source}-${p.minute}` }
            : {}),
          dataSource: SOURCES[p.source],
          steps: {
            count: String(p.count),
            interval: interval(minute(p.minute), minute(p.minute + p.length)),
          },
        })),
    );

  it('gives the same samples split into two pages', async () => {
    await fc.assert(
      fc.asyncProperty(pageArb, fc.nat(), async (points, cut) => {
        const at = points.length === 0 ? 0 : cut % (points.length + 1);
        const whole = await parse({ dataPoints: points, nextPageToken: '' });
        const first = await parse({ dataPoints: points.slice(0, at), nextPageToken: 'next' });
        const second = await parse({ dataPoints: points.slice(at) });
        expect(whole.rejections).toEqual([]);
        expect(byRecord([...first.samples, ...second.samples])).toEqual(byRecord(whole.samples));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('gives the same samples whatever the order of the data points', async () => {
    await fc.assert(
      fc.asyncProperty(
        pageArb.chain((points) =>
          fc.tuple(fc.constant(points), fc.shuffledSubarray(points, { minLength: points.length })),
        ),
        async ([points, shuffled]) => {
          const ordered = await parse({ dataPoints: points });
          const reordered = await parse({ dataPoints: shuffled });
          expect(byRecord(reordered.samples)).toEqual(byRecord(ordered.samples));
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('gives the same record ids to a page imported again, and to its counts changed', async () => {
    await fc.assert(
      fc.asyncProperty(pageArb, fc.nat({ max: 150 }), async (points, bump) => {
        const first = await parse({ dataPoints: points });
        const again = await parse({ dataPoints: points });
        const changed = await parse({
          dataPoints: points.map((p) => ({
            ...p,
            steps: { ...p.steps, count: String((Number(p.steps.count) + bump) % 151) },
          })),
        });
        const ids = first.samples.map((s) => s.record?.id);
        expect(new Set(ids).size).toBe(points.length);
        expect(again.samples.map((s) => s.record?.id)).toEqual(ids);
        expect(changed.samples.map((s) => s.record?.id)).toEqual(ids);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
