import { CatalogEntry, resolveProgramItems } from './program-items';

const catalog = new Map<string, CatalogEntry>([
  [
    'prone_press_up',
    {
      code: 'prone_press_up',
      doseKind: 'hold',
      defaultDose: { holdSeconds: 5, holdGoalSeconds: 30, reps: 10, timesPerDay: 8 },
    },
  ],
  [
    'lumbar_stabilization',
    {
      code: 'lumbar_stabilization',
      doseKind: 'duration',
      defaultDose: { durationMinutes: 30, daysPerWeek: 2 },
    },
  ],
  [
    'pelvic_tilt',
    {
      code: 'pelvic_tilt',
      doseKind: 'reps',
      defaultDose: { reps: 8, repsGoal: 12, timesPerDay: 1 },
    },
  ],
]);

describe('resolveProgramItems', () => {
  it('fills a missing dose from the catalog default, keeping the order', () => {
    const { items, problems } = resolveProgramItems(
      [
        { exerciseCode: 'prone_press_up', holdSeconds: 10 },
        { exerciseCode: 'lumbar_stabilization' },
      ],
      catalog,
    );
    expect(problems).toEqual([]);
    expect(items[0]).toMatchObject({
      position: 1,
      holdSeconds: 10,
      holdGoalSeconds: 30,
      reps: 10,
      timesPerDay: 8,
      daysPerWeek: null,
    });
    expect(items[1]).toMatchObject({
      position: 2,
      durationMinutes: 30,
      daysPerWeek: 2,
      timesPerDay: null,
      holdSeconds: null,
    });
  });

  it('takes the frequency given instead of the default one', () => {
    const { items } = resolveProgramItems(
      [{ exerciseCode: 'prone_press_up', daysPerWeek: 3 }],
      catalog,
    );
    expect(items[0]).toMatchObject({ timesPerDay: null, daysPerWeek: 3 });
  });

  it.each([
    [[{ exerciseCode: 'handstand' }], 'items[0].exerciseCode'],
    [[{ exerciseCode: 'pelvic_tilt' }, { exerciseCode: 'pelvic_tilt' }], 'items[1].exerciseCode'],
    [[{ exerciseCode: 'pelvic_tilt', timesPerDay: 2, daysPerWeek: 3 }], 'items[0].daysPerWeek'],
    [[{ exerciseCode: 'pelvic_tilt', holdSeconds: 5 }], 'items[0].holdSeconds'],
    [[{ exerciseCode: 'prone_press_up', holdSeconds: 40 }], 'items[0].holdGoalSeconds'],
    [[{ exerciseCode: 'pelvic_tilt', reps: 15 }], 'items[0].repsGoal'],
  ])('refuses %j naming %s', (items, field) => {
    expect(resolveProgramItems(items, catalog).problems.map((p) => p.field)).toEqual([field]);
  });
});
