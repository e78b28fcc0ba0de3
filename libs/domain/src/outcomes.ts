// Outcome measures (clinical-rules §6): how each instrument's answers are scored and what
// counts as a meaningful change. Only answers and scores are handled here, never the
// instruments' item texts. Sources in docs/outcomes.md.

export type Instrument = 'startback' | 'psfs' | 'odi';
export const INSTRUMENTS: readonly Instrument[] = ['startback', 'psfs', 'odi'];

/** A problem with one answer: which item, and what is wrong with it. */
export interface AnswerProblem {
  readonly item: string;
  readonly message: string;
}

export type Scored<T> = { ok: true; score: T } | { ok: false; problems: AnswerProblem[] };

// ---- STarT Back Screening Tool (Hill et al. 2008) -------------------------------------------

/** Item 9, how bothersome the back pain was over the last two weeks, in its five levels. */
export const BOTHERSOMENESS = [
  'not_at_all',
  'slightly',
  'moderately',
  'very_much',
  'extremely',
] as const;
export type Bothersomeness = (typeof BOTHERSOMENESS)[number];

export interface StartBackAnswers {
  /** Items 1–8 in order: true for "agree". */
  readonly agree: readonly boolean[];
  /** Item 9. */
  readonly bothersomeness: Bothersomeness;
}

export type StartBackStratum = 'low' | 'medium' | 'high';

export interface StartBackScore {
  /** 0–9: the items answered positively. */
  readonly total: number;
  /** 0–5: items 5–9 (the psychosocial, or distress, subscale). */
  readonly psychosocial: number;
  readonly stratum: StartBackStratum;
}

const STARTBACK_AGREE_ITEMS = 8;
// Item 9 counts for "very much" and "extremely" only.
const BOTHERSOME: readonly Bothersomeness[] = ['very_much', 'extremely'];

/**
 * Low risk: total ≤ 3. Otherwise medium, unless the psychosocial subscale is 4 or 5: high
 * (the subscale decides high whatever the total, which is then at least 4).
 */
export function startBackStratum(total: number, psychosocial: number): StartBackStratum {
  if (psychosocial >= 4) return 'high';
  return total <= 3 ? 'low' : 'medium';
}

export function scoreStartBack(answers: unknown): Scored<StartBackScore> {
  const problems: AnswerProblem[] = [];
  const a = isObject(answers) ? answers : {};
  if (!isObject(answers)) problems.push({ item: 'answers', message: 'must be an object' });
  const agree = a.agree;
  if (!Array.isArray(agree) || agree.length !== STARTBACK_AGREE_ITEMS) {
    problems.push({
      item: 'answers.agree',
      message: `must list items 1–${STARTBACK_AGREE_ITEMS}, true for agree, false for disagree`,
    });
  } else {
    agree.forEach((value, i) => {
      if (typeof value !== 'boolean') {
        problems.push({ item: `answers.agree[${i}]`, message: 'must be true or false' });
      }
    });
  }
  const level = a.bothersomeness;
  if (typeof level !== 'string' || !(BOTHERSOMENESS as readonly string[]).includes(level)) {
    problems.push({
      item: 'answers.bothersomeness',
      message: `must be one of ${BOTHERSOMENESS.join(', ')}`,
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  const items = [...(agree as boolean[]), BOTHERSOME.includes(level as Bothersomeness)].map(
    (positive) => (positive ? 1 : 0),
  );
  const total = sum(items);
  const psychosocial = sum(items.slice(4));
  return {
    ok: true,
    score: { total, psychosocial, stratum: startBackStratum(total, psychosocial) },
  };
}

// ---- Patient-Specific Functional Scale (Stratford 1995; Horn 2012) -------------------------

export interface PsfsActivity {
  /** The activity the patient named, in their words. */
  readonly name: string;
  /** 0 (unable to do it) to 10 (able to do it as before the problem). */
  readonly score: number;
}

export interface PsfsScore {
  /** The mean of the activities' scores, to two decimals. */
  readonly mean: number;
  readonly activities: readonly PsfsActivity[];
}

const PSFS_MAX_ACTIVITIES = 5;
const PSFS_MAX_NAME = 200;

export function scorePsfs(answers: unknown): Scored<PsfsScore> {
  const problems: AnswerProblem[] = [];
  const list = isObject(answers) ? answers.activities : undefined;
  if (!Array.isArray(list) || list.length < 1 || list.length > PSFS_MAX_ACTIVITIES) {
    return {
      ok: false,
      problems: [
        {
          item: 'answers.activities',
          message: `must list 1 to ${PSFS_MAX_ACTIVITIES} activities, each a name and a score 0–10`,
        },
      ],
    };
  }
  const seen = new Map<string, number>();
  const activities: PsfsActivity[] = [];
  list.forEach((raw, i) => {
    const item = `answers.activities[${i}]`;
    const entry = isObject(raw) ? raw : {};
    const name = typeof entry.name === 'string' ? entry.name.trim() : '';
    if (name.length === 0 || name.length > PSFS_MAX_NAME) {
      problems.push({ item: `${item}.name`, message: `must be 1–${PSFS_MAX_NAME} characters` });
    } else {
      const key = activityKey(name);
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({
          item: `${item}.name`,
          message: `names the same activity as answers.activities[${first}]`,
        });
      } else {
        seen.set(key, i);
      }
    }
    const score = entry.score;
    if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > 10) {
      problems.push({ item: `${item}.score`, message: 'must be a whole number from 0 to 10' });
    }
    activities.push({ name, score: score as number });
  });
  if (problems.length > 0) return { ok: false, problems };
  const mean = round2(sum(activities.map((a) => a.score)) / activities.length);
  return { ok: true, score: { mean, activities } };
}

/** Activities are matched across questionnaires by name, ignoring case and spacing. */
export function activityKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

export type Direction = 'improved' | 'worsened';

export interface PsfsChange {
  readonly direction: Direction;
  /** `mean`: the mean moved by 2 or more; `activity`: one activity moved by 3 or more. */
  readonly by: 'mean' | 'activity';
  readonly meanChange: number;
  /** The activities named in both that moved by 3 points or more in this direction. */
  readonly activities: readonly { name: string; first: number; now: number }[];
}

export const PSFS_MEAN_CHANGE = 2;
export const PSFS_ACTIVITY_CHANGE = 3;

/**
 * Meaningful changes of a PSFS against the patient's first: the mean up (improved) or down
 * (worsened) by 2 points or more; failing that, an activity named in both up or down by 3 or
 * more. Higher is better. Activities can move apart: one 3 up and another 3 down give both
 * changes, so that a worsening is never hidden by an improvement elsewhere.
 */
export function psfsChanges(first: PsfsScore, now: PsfsScore): PsfsChange[] {
  const meanChange = round2(now.mean - first.mean);
  const firstByKey = new Map(first.activities.map((a) => [activityKey(a.name), a.score]));
  const moved = now.activities
    .filter((a) => firstByKey.has(activityKey(a.name)))
    .map((a) => ({ name: a.name, first: firstByKey.get(activityKey(a.name))!, now: a.score }));
  const inDirection = (direction: Direction) =>
    moved.filter((m) =>
      direction === 'improved'
        ? m.now - m.first >= PSFS_ACTIVITY_CHANGE
        : m.first - m.now >= PSFS_ACTIVITY_CHANGE,
    );
  if (meanChange >= PSFS_MEAN_CHANGE) {
    return [{ direction: 'improved', by: 'mean', meanChange, activities: inDirection('improved') }];
  }
  if (meanChange <= -PSFS_MEAN_CHANGE) {
    return [{ direction: 'worsened', by: 'mean', meanChange, activities: inDirection('worsened') }];
  }
  return (['worsened', 'improved'] as const)
    .map((direction) => ({ direction, activities: inDirection(direction) }))
    .filter((c) => c.activities.length > 0)
    .map((c) => ({ ...c, by: 'activity' as const, meanChange }));
}

// ---- Oswestry Disability Index (Fairbank & Pynsent 2000) ------------------------------------

export interface OdiScore {
  /** 0–100: the sections' total over 5 × the sections answered, × 100, to one decimal. */
  readonly score: number;
  readonly answered: number;
  /** The 10 sections, 0–5 each, null where left blank. */
  readonly sections: readonly (number | null)[];
}

const ODI_SECTIONS = 10;
export const ODI_CHANGE = 10;

export function scoreOdi(answers: unknown): Scored<OdiScore> {
  const sections = isObject(answers) ? answers.sections : undefined;
  if (!Array.isArray(sections) || sections.length !== ODI_SECTIONS) {
    return {
      ok: false,
      problems: [
        {
          item: 'answers.sections',
          message: `must list the ${ODI_SECTIONS} sections, each 0–5 or null where left blank`,
        },
      ],
    };
  }
  const problems: AnswerProblem[] = [];
  sections.forEach((value, i) => {
    if (value === null) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 5) {
      problems.push({
        item: `answers.sections[${i}]`,
        message: 'must be a whole number from 0 to 5, or null where left blank',
      });
    }
  });
  const answered = sections.filter((v) => v !== null) as number[];
  if (problems.length === 0 && answered.length === 0) {
    problems.push({ item: 'answers.sections', message: 'at least one section must be answered' });
  }
  if (problems.length > 0) return { ok: false, problems };
  const score = Math.round((sum(answered) / (5 * answered.length)) * 1000) / 10;
  return { ok: true, score: { score, answered: answered.length, sections } };
}

/** A change of the ODI against the patient's first of 10 points or more; lower is better. */
export function odiChange(first: number, now: number): Direction | null {
  // In tenths, as the scores are: 33.3 − 23.3 is 9.999999999999996 in floating point.
  const change = Math.round((now - first) * 10) / 10;
  if (change <= -ODI_CHANGE) return 'improved';
  if (change >= ODI_CHANGE) return 'worsened';
  return null;
}

// ---- helpers ---------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

// ---- one questionnaire, whatever its instrument ---------------------------------------------

/** The answers as stored: only what the instrument's scoring reads, names trimmed. */
export type StoredAnswers =
  | { agree: boolean[]; bothersomeness: Bothersomeness }
  | { activities: PsfsActivity[] }
  | { sections: (number | null)[] };

/** The score as stored and shown, per instrument. */
export type InstrumentScore =
  StartBackScore | { mean: number } | { score: number; answered: number };

export interface ScoredQuestionnaire {
  readonly answers: StoredAnswers;
  readonly score: InstrumentScore;
}

/** Scores a questionnaire's answers, or says which items are wrong. */
export function scoreQuestionnaire(
  instrument: Instrument,
  answers: unknown,
): Scored<ScoredQuestionnaire> {
  switch (instrument) {
    case 'startback': {
      const r = scoreStartBack(answers);
      if (!r.ok) return r;
      const a = answers as StartBackAnswers;
      return {
        ok: true,
        score: {
          answers: { agree: [...a.agree], bothersomeness: a.bothersomeness },
          score: r.score,
        },
      };
    }
    case 'psfs': {
      const r = scorePsfs(answers);
      if (!r.ok) return r;
      return {
        ok: true,
        score: { answers: { activities: [...r.score.activities] }, score: { mean: r.score.mean } },
      };
    }
    case 'odi': {
      const r = scoreOdi(answers);
      if (!r.ok) return r;
      return {
        ok: true,
        score: {
          answers: { sections: [...r.score.sections] },
          score: { score: r.score.score, answered: r.score.answered },
        },
      };
    }
  }
}

/** How a questionnaire compares with the patient's first of the same instrument. */
export interface OutcomeChange {
  /** PSFS: the change of the mean (higher is better); ODI: of the score (lower is better). */
  readonly difference: number;
  /** The meaningful changes; empty when the difference is within the instrument's noise. */
  readonly meaningful: readonly {
    direction: Direction;
    by: 'mean' | 'activity' | 'score';
    activities?: readonly { name: string; first: number; now: number }[];
  }[];
}

/**
 * The change of `now` against `first` (both stored as `scoreQuestionnaire` left them), for the
 * instruments that have a change rule: PSFS and ODI. STarT Back has none: null.
 */
export function outcomeChange(
  instrument: Instrument,
  first: ScoredQuestionnaire,
  now: ScoredQuestionnaire,
): OutcomeChange | null {
  switch (instrument) {
    case 'startback':
      return null;
    case 'psfs': {
      const psfs = (q: ScoredQuestionnaire): PsfsScore => ({
        mean: (q.score as { mean: number }).mean,
        activities: (q.answers as { activities: PsfsActivity[] }).activities,
      });
      const changes = psfsChanges(psfs(first), psfs(now));
      return {
        difference: round2(psfs(now).mean - psfs(first).mean),
        meaningful: changes.map((c) => ({
          direction: c.direction,
          by: c.by,
          activities: c.activities,
        })),
      };
    }
    case 'odi': {
      const score = (q: ScoredQuestionnaire) => (q.score as { score: number }).score;
      const direction = odiChange(score(first), score(now));
      return {
        difference: Math.round((score(now) - score(first)) * 10) / 10,
        meaningful: direction ? [{ direction, by: 'score' }] : [],
      };
    }
  }
}

/** What an outcome rule concluded from a questionnaire (clinical-rules §6). */
export interface OutcomeFinding {
  readonly rule:
    'FUNCTION_IMPROVED' | 'FUNCTION_WORSENED' | 'DISABILITY_IMPROVED' | 'DISABILITY_WORSENED';
  readonly severity: 'positive' | 'info' | 'warning';
  readonly action: 'continue' | 'review_with_clinician' | 'contact_clinician';
  readonly evidence: Readonly<Record<string, unknown>>;
}

/** The one figure of a score the change rules compare: the STarT Back total, the PSFS mean, the ODI. */
export function headlineOf(score: InstrumentScore): number {
  return 'mean' in score ? score.mean : 'answered' in score ? score.score : score.total;
}

type OutcomeRule = Pick<OutcomeFinding, 'rule' | 'severity' | 'action'>;

/**
 * What each meaningful change concludes. An improvement is a good sign (`positive`). A worse
 * ODI is a warning, an alert for the clinician, as clinical-rules §6 marks it; a worse PSFS is
 * `info`, for the clinician to review (the spec marks only the ODI's as a warning).
 */
const OUTCOME_RULES: Record<'psfs' | 'odi', Record<Direction, OutcomeRule>> = {
  psfs: {
    improved: { rule: 'FUNCTION_IMPROVED', severity: 'positive', action: 'continue' },
    worsened: { rule: 'FUNCTION_WORSENED', severity: 'info', action: 'review_with_clinician' },
  },
  odi: {
    improved: { rule: 'DISABILITY_IMPROVED', severity: 'positive', action: 'continue' },
    worsened: { rule: 'DISABILITY_WORSENED', severity: 'warning', action: 'contact_clinician' },
  },
};

/**
 * The findings of a meaningful change against the patient's first questionnaire of the
 * instrument (`OUTCOME_RULES`); a PSFS may carry two: one activity 3 points up, another 3 down.
 */
export function outcomeFindings(
  instrument: Instrument,
  change: OutcomeChange | null,
  compared: {
    firstId: string;
    firstCompletedAt: string;
    first: ScoredQuestionnaire;
    now: ScoredQuestionnaire;
  },
): OutcomeFinding[] {
  if (!change || instrument === 'startback') return [];
  return change.meaningful.map((m) => ({
    ...OUTCOME_RULES[instrument][m.direction],
    evidence: {
      instrument,
      firstQuestionnaireId: compared.firstId,
      firstCompletedAt: compared.firstCompletedAt,
      first: headlineOf(compared.first.score),
      now: headlineOf(compared.now.score),
      difference: change.difference,
      by: m.by,
      ...(m.activities ? { activities: m.activities } : {}),
      threshold:
        instrument === 'odi'
          ? ODI_CHANGE
          : m.by === 'mean'
            ? PSFS_MEAN_CHANGE
            : PSFS_ACTIVITY_CHANGE,
    },
  }));
}
