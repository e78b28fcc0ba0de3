import {
  type Bothersomeness,
  odiChange,
  outcomeChange,
  outcomeFindings,
  type PsfsScore,
  psfsChanges,
  scoreOdi,
  scorePsfs,
  scoreQuestionnaire,
  scoreStartBack,
  startBackStratum,
} from './outcomes';

/** Items 1–8 agreeing where `agreed` lists them (1-based). */
const agreeing = (...agreed: number[]) =>
  Array.from({ length: 8 }, (_, i) => agreed.includes(i + 1));

describe('STarT Back', () => {
  it.each<{
    name: string;
    agreed: number[];
    bothersomeness: Bothersomeness;
    total: number;
    psychosocial: number;
    stratum: string;
  }>([
    {
      name: 'nothing agreed',
      agreed: [],
      bothersomeness: 'not_at_all',
      total: 0,
      psychosocial: 0,
      stratum: 'low',
    },
    {
      name: 'total 3: still low',
      agreed: [1, 2, 3],
      bothersomeness: 'moderately',
      total: 3,
      psychosocial: 0,
      stratum: 'low',
    },
    {
      name: 'total 4: medium',
      agreed: [1, 2, 3, 4],
      bothersomeness: 'slightly',
      total: 4,
      psychosocial: 0,
      stratum: 'medium',
    },
    {
      name: 'total 3 with a subscale of 3: low',
      agreed: [5, 6],
      bothersomeness: 'extremely',
      total: 3,
      psychosocial: 3,
      stratum: 'low',
    },
    {
      name: 'subscale 3 with a total of 7: medium',
      agreed: [1, 2, 3, 4, 5, 6],
      bothersomeness: 'very_much',
      total: 7,
      psychosocial: 3,
      stratum: 'medium',
    },
    {
      name: 'subscale 4: high',
      agreed: [5, 6, 7, 8],
      bothersomeness: 'moderately',
      total: 4,
      psychosocial: 4,
      stratum: 'high',
    },
    {
      name: 'subscale 4 through item 9 "very much": high',
      agreed: [5, 6, 7],
      bothersomeness: 'very_much',
      total: 4,
      psychosocial: 4,
      stratum: 'high',
    },
    {
      name: 'item 9 "moderately" does not count',
      agreed: [5, 6, 7],
      bothersomeness: 'moderately',
      total: 3,
      psychosocial: 3,
      stratum: 'low',
    },
    {
      name: 'everything: high',
      agreed: [1, 2, 3, 4, 5, 6, 7, 8],
      bothersomeness: 'extremely',
      total: 9,
      psychosocial: 5,
      stratum: 'high',
    },
    {
      name: 'items 1–4 do not count in the subscale',
      agreed: [1, 2, 3, 4],
      bothersomeness: 'extremely',
      total: 5,
      psychosocial: 1,
      stratum: 'medium',
    },
  ])('$name', ({ agreed, bothersomeness, total, psychosocial, stratum }) => {
    expect(scoreStartBack({ agree: agreeing(...agreed), bothersomeness })).toEqual({
      ok: true,
      score: { total, psychosocial, stratum },
    });
  });

  it('decides the stratum at each boundary', () => {
    expect([startBackStratum(3, 3), startBackStratum(4, 3), startBackStratum(4, 4)]).toEqual([
      'low',
      'medium',
      'high',
    ]);
  });

  it.each([
    [{ agree: agreeing(), bothersomeness: 'a lot' }, ['answers.bothersomeness']],
    [{ agree: agreeing().slice(1), bothersomeness: 'slightly' }, ['answers.agree']],
    [{ agree: [...agreeing().slice(1), 'yes'], bothersomeness: 'slightly' }, ['answers.agree[7]']],
    [{}, ['answers.agree', 'answers.bothersomeness']],
    [[true], ['answers', 'answers.agree', 'answers.bothersomeness']],
  ])('names the wrong answers of %j', (answers, items) => {
    const scored = scoreStartBack(answers);
    expect(scored.ok).toBe(false);
    expect(!scored.ok && scored.problems.map((p) => p.item)).toEqual(items);
  });
});

describe('PSFS', () => {
  const psfs = (...scores: [string, number][]): PsfsScore => {
    const scored = scorePsfs({ activities: scores.map(([name, score]) => ({ name, score })) });
    if (!scored.ok) throw new Error(JSON.stringify(scored.problems));
    return scored.score;
  };

  it('scores the mean of the activities', () => {
    expect(psfs(['walking', 3], ['sitting', 4], ['lifting', 4]).mean).toBe(3.67);
    expect(psfs(['walking', 0]).mean).toBe(0);
    expect(psfs(['a', 10], ['b', 10], ['c', 10], ['d', 10], ['e', 10]).mean).toBe(10);
  });

  it.each<{ name: string; first: [string, number][]; now: [string, number][]; expected: object[] }>(
    [
      {
        name: 'the mean up by exactly 2: improved',
        first: [
          ['walking', 3],
          ['sitting', 5],
        ],
        now: [
          ['walking', 5],
          ['sitting', 7],
        ],
        expected: [{ direction: 'improved', by: 'mean', meanChange: 2 }],
      },
      {
        name: 'the mean up by 1.5, no activity up by 3: nothing',
        first: [
          ['walking', 3],
          ['sitting', 5],
        ],
        now: [
          ['walking', 5],
          ['sitting', 6],
        ],
        expected: [],
      },
      {
        name: 'the mean down by exactly 2: worsened',
        first: [
          ['walking', 6],
          ['sitting', 6],
        ],
        now: [
          ['walking', 4],
          ['sitting', 4],
        ],
        expected: [{ direction: 'worsened', by: 'mean', meanChange: -2 }],
      },
      {
        name: 'one activity up by exactly 3, the mean by 1: improved',
        first: [
          ['walking', 2],
          ['sitting', 5],
          ['lifting', 5],
        ],
        now: [
          ['walking', 5],
          ['sitting', 5],
          ['lifting', 5],
        ],
        expected: [
          {
            direction: 'improved',
            by: 'activity',
            activities: [{ name: 'walking', first: 2, now: 5 }],
          },
        ],
      },
      {
        name: 'one activity up by 2 only: nothing',
        first: [
          ['walking', 2],
          ['sitting', 5],
          ['lifting', 5],
        ],
        now: [
          ['walking', 4],
          ['sitting', 5],
          ['lifting', 5],
        ],
        expected: [],
      },
      {
        name: 'one activity down by 3 while another is up by 3: both',
        first: [
          ['walking', 2],
          ['sitting', 8],
        ],
        now: [
          ['walking', 5],
          ['sitting', 5],
        ],
        expected: [
          { direction: 'worsened', by: 'activity', activities: [{ name: 'sitting' }] },
          { direction: 'improved', by: 'activity', activities: [{ name: 'walking' }] },
        ],
      },
      {
        name: 'matches activities by name whatever the case and spacing',
        first: [
          ['Climbing  stairs', 2],
          ['sitting', 5],
          ['lifting', 5],
        ],
        now: [
          ['climbing stairs', 5],
          ['sitting', 5],
          ['lifting', 5],
        ],
        expected: [{ direction: 'improved', by: 'activity' }],
      },
      {
        name: 'an activity named only once is not compared',
        first: [
          ['walking', 2],
          ['sitting', 5],
          ['lifting', 5],
        ],
        now: [
          ['running', 6],
          ['sitting', 5],
          ['lifting', 5],
        ],
        expected: [],
      },
    ],
  )('$name', ({ first, now, expected }) => {
    expect(psfsChanges(psfs(...first), psfs(...now))).toMatchObject(expected);
  });

  it.each([
    [{ activities: [] }, ['answers.activities']],
    [
      { activities: Array.from({ length: 6 }, (_, i) => ({ name: `a${i}`, score: 5 })) },
      ['answers.activities'],
    ],
    [{ activities: [{ name: 'walking', score: 11 }] }, ['answers.activities[0].score']],
    [{ activities: [{ name: 'walking', score: 4.5 }] }, ['answers.activities[0].score']],
    [{ activities: [{ name: ' ', score: 4 }] }, ['answers.activities[0].name']],
    [
      {
        activities: [
          { name: 'Walking', score: 4 },
          { name: 'walking ', score: 6 },
        ],
      },
      ['answers.activities[1].name'],
    ],
  ])('names the wrong answers of %j', (answers, items) => {
    const scored = scorePsfs(answers);
    expect(!scored.ok && scored.problems.map((p) => p.item)).toEqual(items);
  });
});

describe('ODI', () => {
  const odi = (sections: (number | null)[]) => {
    const scored = scoreOdi({ sections });
    if (!scored.ok) throw new Error(JSON.stringify(scored.problems));
    return scored.score;
  };

  it('scores the total over 5 × the sections answered', () => {
    expect(odi([2, 2, 2, 2, 2, 2, 1, 1, 1, 1]).score).toBe(32);
    // One section left blank: 16 over 45, not over 50.
    expect(odi([2, 2, 2, 2, 2, 2, 1, 1, 2, null])).toMatchObject({ score: 35.6, answered: 9 });
    expect(odi(Array(10).fill(0)).score).toBe(0);
    expect(odi(Array(10).fill(5)).score).toBe(100);
  });

  it.each([
    [40, 30, 'improved'],
    [40, 31, null],
    [40, 49, null],
    [40, 50, 'worsened'],
  ])('from %d to %d: %s', (first, now, expected) => {
    expect(odiChange(first, now)).toBe(expected);
  });

  it.each([
    [{ sections: Array(9).fill(1) }, ['answers.sections']],
    [{ sections: [6, ...Array(9).fill(1)] }, ['answers.sections[0]']],
    [{ sections: [...Array(9).fill(1), -1] }, ['answers.sections[9]']],
    [{ sections: Array(10).fill(null) }, ['answers.sections']],
  ])('names the wrong answers of %j', (answers, items) => {
    const scored = scoreOdi(answers);
    expect(!scored.ok && scored.problems.map((p) => p.item)).toEqual(items);
  });
});

describe('a questionnaire, whatever its instrument', () => {
  const scored = (instrument: 'startback' | 'psfs' | 'odi', answers: unknown) => {
    const r = scoreQuestionnaire(instrument, answers);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.score;
  };

  it('keeps only the answers the scoring reads, PSFS names trimmed', () => {
    expect(
      scored('psfs', { activities: [{ name: '  Sitting ', score: 4, note: 'x' }], extra: 1 }),
    ).toEqual({ answers: { activities: [{ name: 'Sitting', score: 4 }] }, score: { mean: 4 } });
    expect(scored('odi', { sections: [5, null, 0, 0, 0, 0, 0, 0, 0, 0], text: 'no' })).toEqual({
      answers: { sections: [5, null, 0, 0, 0, 0, 0, 0, 0, 0] },
      score: { score: 11.1, answered: 9 },
    });
    expect(
      scored('startback', { agree: agreeing(1, 5, 6, 7), bothersomeness: 'extremely', x: 1 }),
    ).toEqual({
      answers: { agree: agreeing(1, 5, 6, 7), bothersomeness: 'extremely' },
      score: { total: 5, psychosocial: 4, stratum: 'high' },
    });
  });

  it('passes on the problems of the instrument’s own scoring', () => {
    expect(scoreQuestionnaire('odi', { sections: [] })).toMatchObject({
      ok: false,
      problems: [{ item: 'answers.sections' }],
    });
  });

  it.each([
    [40, 30, -10, ['improved']],
    [40, 30.1, -9.9, []],
    [40, 50, 10, ['worsened']],
    [40, 49.9, 9.9, []],
  ])('ODI %s then %s: a difference of %s', (first, now, difference, directions) => {
    const odi = (score: number) => ({
      answers: { sections: [] },
      score: { score, answered: 10 },
    });
    const change = outcomeChange('odi', odi(first), odi(now));
    expect(change?.difference).toBe(difference);
    expect(change?.meaningful.map((m) => m.direction)).toEqual(directions);
  });

  it('PSFS compares the mean and the activities named in both; STarT Back has no change rule', () => {
    const first = scored('psfs', { activities: [{ name: 'Lifting', score: 2 }] });
    const now = scored('psfs', {
      activities: [
        { name: 'lifting', score: 5 },
        { name: 'Driving', score: 0 },
      ],
    });
    // Mean 2.5 (+0.5); Lifting 3 up, Driving new (not compared).
    expect(outcomeChange('psfs', first, now)).toEqual({
      difference: 0.5,
      meaningful: [
        {
          direction: 'improved',
          by: 'activity',
          activities: [{ name: 'lifting', first: 2, now: 5 }],
        },
      ],
    });
    const sb = scored('startback', { agree: agreeing(), bothersomeness: 'slightly' });
    expect(outcomeChange('startback', sb, sb)).toBeNull();
  });
});

describe('outcome findings', () => {
  const odiScored = (score: number) => ({
    answers: { sections: [] },
    score: { score, answered: 10 },
  });
  const compared = {
    firstId: 'q1',
    firstCompletedAt: '2026-11-01T09:00:00.000Z',
    first: odiScored(40),
    now: odiScored(0),
  };
  const change = (direction: 'improved' | 'worsened', by: 'mean' | 'activity' | 'score') => ({
    difference: 0,
    meaningful: [{ direction, by }],
  });

  it.each([
    ['odi', 'worsened', 'score', 'DISABILITY_WORSENED', 'warning', 'contact_clinician', 10],
    ['odi', 'improved', 'score', 'DISABILITY_IMPROVED', 'positive', 'continue', 10],
    ['psfs', 'worsened', 'mean', 'FUNCTION_WORSENED', 'info', 'review_with_clinician', 2],
    ['psfs', 'worsened', 'activity', 'FUNCTION_WORSENED', 'info', 'review_with_clinician', 3],
    ['psfs', 'improved', 'activity', 'FUNCTION_IMPROVED', 'positive', 'continue', 3],
  ] as const)('%s %s by %s: %s', (instrument, direction, by, rule, severity, action, threshold) => {
    expect(outcomeFindings(instrument, change(direction, by), compared)).toEqual([
      {
        rule,
        severity,
        action,
        evidence: expect.objectContaining({
          instrument,
          by,
          threshold,
          firstQuestionnaireId: 'q1',
        }),
      },
    ]);
  });

  it('nothing without a meaningful change, for STarT Back, or for the first questionnaire', () => {
    expect(outcomeFindings('odi', { difference: 9.9, meaningful: [] }, compared)).toEqual([]);
    expect(outcomeFindings('startback', change('worsened', 'score'), compared)).toEqual([]);
    expect(outcomeFindings('psfs', null, compared)).toEqual([]);
  });
});

describe('ODI change in tenths', () => {
  it('counts 23.3 → 33.3 as 10 points, though floating point makes it 9.999999999999996', () => {
    expect(33.3 - 23.3).toBeLessThan(10);
    expect(odiChange(23.3, 33.3)).toBe('worsened');
    expect(odiChange(33.3, 23.3)).toBe('improved');
    expect(odiChange(23.3, 33.2)).toBeNull();
  });
});
