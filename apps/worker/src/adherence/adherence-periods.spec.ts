import { randomUUID } from 'node:crypto';
import { fullPeriodName } from '@app/queue';
import { chunkIds, parsePeriod, periodJobId, periodOfTick } from './adherence-periods';

describe('adherence periods', () => {
  it.each([
    ['2026-11-22T04:00:00.012Z', '2026-11-22T04'],
    ['2026-11-22T03:59:59.500Z', '2026-11-22T04'],
    ['2026-12-31T23:59:58.000Z', '2027-01-01T00'],
  ])('a tick at %s runs period %s', (tick, period) => {
    expect(periodOfTick(new Date(tick))).toBe(period);
  });

  it('reads hourly and full periods, as of the top of their hour', () => {
    expect(parsePeriod('2026-11-22T04')).toEqual({
      name: '2026-11-22T04',
      full: false,
      organizationId: null,
      at: new Date('2026-11-22T04:00:00Z'),
    });
    expect(parsePeriod('full-2026-11-22T04')).toMatchObject({ full: true, organizationId: null });
  });

  it('reads a full period of one organization, named as the operator queues it', () => {
    const organizationId = randomUUID();
    const name = fullPeriodName(new Date('2026-11-22T04:37:12Z'), organizationId);
    expect(name).toBe(`full-2026-11-22T04-org-${organizationId}`);
    expect(parsePeriod(name)).toEqual({
      name,
      full: true,
      organizationId,
      at: new Date('2026-11-22T04:00:00Z'),
    });
    expect(fullPeriodName(new Date('2026-11-22T04:59:59.999Z'))).toBe('full-2026-11-22T04');
  });

  it.each([
    '2026-11-22',
    '2026-11-22T24',
    '2026-02-30T01',
    'full-',
    'x-2026-11-22T04',
    '2026-11-22T04-org-00000000-0000-0000-0000-000000000000',
    'full-2026-11-22T04-org-not-a-uuid',
  ])('refuses %s', (name) => expect(() => parsePeriod(name)).toThrow('not an adherence period'));

  it('names jobs without a colon, which BullMQ refuses in custom ids', () => {
    expect(periodJobId('2026-11-22T04')).toBe('adherence-2026-11-22T04');
    expect(periodJobId('2026-11-22T04')).not.toContain(':');
  });

  describe('chunkIds', () => {
    it('splits the uuid space into contiguous ranges, the last one open', () => {
      expect([0, 1, 2].map((k) => chunkIds(k, 3))).toEqual([
        {
          from: '00000000-0000-0000-0000-000000000000',
          to: '55555555-0000-0000-0000-000000000000',
        },
        {
          from: '55555555-0000-0000-0000-000000000000',
          to: 'aaaaaaaa-0000-0000-0000-000000000000',
        },
        { from: 'aaaaaaaa-0000-0000-0000-000000000000', to: null },
      ]);
      expect(chunkIds(0, 1)).toEqual({ from: '00000000-0000-0000-0000-000000000000', to: null });
    });

    it('puts every id in exactly one chunk, and random ids about evenly', () => {
      const chunks = 50;
      const ranges = Array.from({ length: chunks }, (_, k) => chunkIds(k, chunks));
      // Compared as PostgreSQL compares uuids: byte by byte, as their lower-case hex text does.
      const holders = (id: string) =>
        ranges.filter((r) => id >= r.from && (r.to === null || id < r.to)).length;
      const counts = new Array<number>(chunks).fill(0);
      for (let i = 0; i < 20_000; i++) {
        const id = randomUUID();
        expect(holders(id)).toBe(1);
        counts[ranges.findIndex((r) => id >= r.from && (r.to === null || id < r.to))]++;
      }
      for (const id of [
        '00000000-0000-0000-0000-000000000000',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
      ])
        expect(holders(id)).toBe(1);
      // 400 expected per chunk; six standard deviations (20) either way.
      expect(Math.min(...counts)).toBeGreaterThan(280);
      expect(Math.max(...counts)).toBeLessThan(520);
    });

    it.each([
      [0, 0],
      [3, 3],
      [-1, 3],
      [1.5, 3],
    ])('refuses chunk %d of %d', (chunk, chunks) => {
      expect(() => chunkIds(chunk, chunks)).toThrow(RangeError);
    });
  });
});
