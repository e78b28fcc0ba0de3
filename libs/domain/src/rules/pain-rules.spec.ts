import type { PainContext } from '../pain';
import type { RedFlagAnswers } from '../red-flags';
import { evaluatePainRules } from './pain-rules';
import {
  type BaselinePain,
  DEFAULT_RULE_SETTINGS,
  type Finding,
  type PainObservation,
  type PainRuleInput,
  type PatientContext,
  type RuleId,
  type RuleSettings,
} from './types';

// ---------------------------------------------------------------------------------------------
// Factories. Every date is fixed; `now` is always passed explicitly, never read from the clock.
// ---------------------------------------------------------------------------------------------

const HOUR_MS = 3_600_000;
const NOW = new Date('2026-03-10T12:00:00Z');

const at = (iso: string): Date => new Date(iso);
const hoursAfter = (instant: Date, hours: number): Date =>
  new Date(instant.getTime() + hours * HOUR_MS);
const daysBefore = (instant: Date, days: number): Date => hoursAfter(instant, -24 * days);

/** A standalone low-back report: unknown side, no session, no red-flag answers. */
function report(overrides: Partial<PainObservation> = {}): PainObservation {
  return {
    id: 'report',
    reportedAt: at('2026-03-02T09:00:00Z'),
    intensity: 3,
    mostDistalSite: 'low_back',
    side: null,
    context: 'before_session',
    sessionId: null,
    redFlags: null,
    ...overrides,
  };
}

/** The report given just before `session-1`. */
const beforeSession = (overrides: Partial<PainObservation> = {}): PainObservation =>
  report({
    id: 'before',
    reportedAt: at('2026-03-02T09:00:00Z'),
    context: 'before_session',
    sessionId: 'session-1',
    ...overrides,
  });

/** The report given just after `session-1`, 45 min after `beforeSession()`. */
const afterSession = (overrides: Partial<PainObservation> = {}): PainObservation =>
  report({
    id: 'after',
    reportedAt: at('2026-03-02T09:45:00Z'),
    context: 'after_session',
    sessionId: 'session-1',
    ...overrides,
  });

/** The day before `current()`. */
const previous = (overrides: Partial<PainObservation> = {}): PainObservation =>
  report({ id: 'previous', reportedAt: at('2026-03-02T09:00:00Z'), ...overrides });

/** The report under evaluation in most tables. */
const current = (overrides: Partial<PainObservation> = {}): PainObservation =>
  report({ id: 'current', reportedAt: at('2026-03-03T09:00:00Z'), ...overrides });

const patient = (overrides: Partial<PatientContext> = {}): PatientContext => ({
  baselinePain: null,
  symptomOnsetDate: null,
  timezone: 'UTC',
  ...overrides,
});

const ruleInput = (overrides: Partial<PainRuleInput> = {}): PainRuleInput => ({
  patient: patient(),
  newReports: [],
  history: [],
  ...overrides,
});

const ruleSettings = (overrides: Partial<RuleSettings> = {}): RuleSettings => ({
  ...DEFAULT_RULE_SETTINGS,
  ...overrides,
});

const LOW_BACK_BASELINE: BaselinePain = { intensity: 3, mostDistalSite: 'low_back' };
const THIGH_LEFT = { mostDistalSite: 'thigh', side: 'left' } as const;

function evaluate(
  input: Partial<PainRuleInput>,
  options: { settings?: Partial<RuleSettings>; now?: Date } = {},
): Finding[] {
  return evaluatePainRules(ruleInput(input), ruleSettings(options.settings), options.now ?? NOW);
}

function ofRules(findings: readonly Finding[], ...rules: RuleId[]): Finding[] {
  return findings.filter((f) => rules.includes(f.rule));
}

function byRule(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => a.rule.localeCompare(b.rule));
}

type ExpectedFinding = Partial<Omit<Finding, 'evidence'>> & { evidence?: Record<string, unknown> };

// ---------------------------------------------------------------------------------------------

describe('evaluatePainRules', () => {
  describe('red flags', () => {
    const CAUDA = {
      rule: 'RED_FLAG_CAUDA_EQUINA',
      severity: 'urgent',
      action: 'seek_urgent_care',
      programEffect: null,
    } as const;
    const MOTOR = {
      rule: 'RED_FLAG_MOTOR',
      severity: 'urgent',
      action: 'seek_urgent_care',
      programEffect: null,
    } as const;
    const SYSTEMIC_URGENT = {
      rule: 'RED_FLAG_SYSTEMIC',
      severity: 'urgent',
      action: 'seek_urgent_care',
      programEffect: null,
    } as const;
    const SYSTEMIC_WARNING = {
      rule: 'RED_FLAG_SYSTEMIC',
      severity: 'warning',
      action: 'contact_clinician',
      programEffect: null,
    } as const;

    it.each<{
      name: string;
      given: Partial<PainObservation>;
      expected: ExpectedFinding[];
    }>([
      {
        name: 'raises the cauda equina red flag on saddle numbness',
        given: { redFlags: { saddleNumbness: true } },
        expected: [
          {
            ...CAUDA,
            evidence: {
              answeredYes: ['saddleNumbness'],
              bilateralLegPain: false,
              report: { reportId: 'new' },
            },
          },
        ],
      },
      {
        name: 'raises the cauda equina red flag on a new bladder or bowel change',
        given: { redFlags: { bladderBowelChange: true } },
        expected: [
          { ...CAUDA, evidence: { answeredYes: ['bladderBowelChange'], bilateralLegPain: false } },
        ],
      },
      {
        name: 'raises the cauda equina red flag when the patient answers symptoms in both legs',
        given: { redFlags: { bothLegs: true } },
        expected: [{ ...CAUDA, evidence: { answeredYes: ['bothLegs'], bilateralLegPain: false } }],
      },
      {
        name: 'raises one cauda equina red flag listing every yes answer',
        given: { redFlags: { saddleNumbness: true, bladderBowelChange: true, bothLegs: false } },
        expected: [
          {
            ...CAUDA,
            evidence: {
              answeredYes: ['saddleNumbness', 'bladderBowelChange'],
              bilateralLegPain: false,
            },
          },
        ],
      },
      {
        name: 'raises the cauda equina red flag on pain in both thighs without any yes answer',
        given: { mostDistalSite: 'thigh', side: 'both', redFlags: { bothLegs: false } },
        expected: [{ ...CAUDA, evidence: { answeredYes: [], bilateralLegPain: true } }],
      },
      {
        name: 'raises the cauda equina red flag on pain in both calves',
        given: { mostDistalSite: 'calf', side: 'both' },
        expected: [{ ...CAUDA, evidence: { answeredYes: [], bilateralLegPain: true } }],
      },
      {
        name: 'raises the cauda equina red flag on pain in both feet',
        given: { mostDistalSite: 'foot', side: 'both' },
        expected: [{ ...CAUDA, evidence: { answeredYes: [], bilateralLegPain: true } }],
      },
      {
        name: 'reports both the answer and the bilateral leg pain when both are present',
        given: { mostDistalSite: 'calf', side: 'both', redFlags: { bothLegs: true } },
        expected: [{ ...CAUDA, evidence: { answeredYes: ['bothLegs'], bilateralLegPain: true } }],
      },
      {
        name: 'does not treat pain across both buttocks as both-leg symptoms',
        given: { mostDistalSite: 'buttock', side: 'both' },
        expected: [],
      },
      {
        name: 'does not treat low-back pain on both sides as both-leg symptoms',
        given: { mostDistalSite: 'low_back', side: 'both' },
        expected: [],
      },
      {
        name: 'raises nothing for one-sided calf pain',
        given: { mostDistalSite: 'calf', side: 'left' },
        expected: [],
      },
      {
        name: 'raises nothing when every screening answer is no',
        given: {
          redFlags: {
            saddleNumbness: false,
            bladderBowelChange: false,
            bothLegs: false,
            legWeakness: false,
            fever: false,
            weightLoss: false,
            nightPain: false,
          },
        },
        expected: [],
      },
      {
        name: 'raises nothing when the screening was not answered',
        given: { redFlags: null },
        expected: [],
      },
      {
        name: 'raises the motor red flag on new leg weakness or foot drop',
        given: { redFlags: { legWeakness: true } },
        expected: [{ ...MOTOR, evidence: { answeredYes: ['legWeakness'] } }],
      },
      {
        name: 'raises an urgent systemic red flag on fever',
        given: { redFlags: { fever: true } },
        expected: [{ ...SYSTEMIC_URGENT, evidence: { answeredYes: ['fever'] } }],
      },
      {
        name: 'raises a warning systemic red flag on unexplained weight loss',
        given: { redFlags: { weightLoss: true } },
        expected: [{ ...SYSTEMIC_WARNING, evidence: { answeredYes: ['weightLoss'] } }],
      },
      {
        name: 'raises a warning systemic red flag on constant night pain',
        given: { redFlags: { nightPain: true, fever: false } },
        expected: [{ ...SYSTEMIC_WARNING, evidence: { answeredYes: ['nightPain'] } }],
      },
      {
        name: 'raises one urgent systemic red flag when fever comes with weight loss and night pain',
        given: { redFlags: { fever: true, weightLoss: true, nightPain: true } },
        expected: [
          { ...SYSTEMIC_URGENT, evidence: { answeredYes: ['fever', 'weightLoss', 'nightPain'] } },
        ],
      },
      {
        name: 'raises one warning systemic red flag for weight loss with night pain',
        given: { redFlags: { weightLoss: true, nightPain: true } },
        expected: [{ ...SYSTEMIC_WARNING, evidence: { answeredYes: ['weightLoss', 'nightPain'] } }],
      },
      {
        name: 'raises each red flag family once when answers span all three',
        given: { redFlags: { saddleNumbness: true, legWeakness: true, fever: true } },
        expected: [
          { ...CAUDA, evidence: { answeredYes: ['saddleNumbness'] } },
          { ...MOTOR, evidence: { answeredYes: ['legWeakness'] } },
          { ...SYSTEMIC_URGENT, evidence: { answeredYes: ['fever'] } },
        ],
      },
    ])('$name', ({ given, expected }) => {
      const findings = evaluate({ newReports: [report({ id: 'new', ...given })] });

      expect(byRule(findings)).toMatchObject(expected.map((e) => ({ reportId: 'new', ...e })));
    });

    it('raises one systemic red flag per new report', () => {
      const nightPain: RedFlagAnswers = { nightPain: true };
      const findings = evaluate({
        newReports: [
          report({ id: 'first', redFlags: nightPain }),
          report({ id: 'second', reportedAt: at('2026-03-03T09:00:00Z'), redFlags: nightPain }),
        ],
      });

      expect(ofRules(findings, 'RED_FLAG_SYSTEMIC').map((f) => f.reportId)).toEqual([
        'first',
        'second',
      ]);
    });

    it('does not raise again the red flags of reports already in the history', () => {
      const findings = evaluate({
        history: [report({ id: 'old', redFlags: { fever: true, saddleNumbness: true } })],
        newReports: [current()],
      });

      expect(findings).toEqual([]);
    });
  });

  describe('peripheralization and centralization', () => {
    const PERIPHERALIZATION = {
      rule: 'PERIPHERALIZATION',
      severity: 'warning',
      action: 'pause_exercises',
      programEffect: 'pause',
    } as const;
    const CENTRALIZING = {
      rule: 'CENTRALIZING',
      severity: 'positive',
      action: 'continue',
      programEffect: null,
    } as const;

    it.each<{
      name: string;
      baselinePain?: BaselinePain;
      history: PainObservation[];
      newReport: PainObservation;
      expected: ExpectedFinding[];
    }>([
      {
        name: 'compares the first report since enrolment with the pain recorded at enrolment',
        baselinePain: { intensity: 5, mostDistalSite: 'thigh', side: 'left' },
        history: [],
        newReport: current({ mostDistalSite: 'foot', side: 'left' }),
        expected: [
          {
            ...PERIPHERALIZATION,
            evidence: {
              comparedWith: 'enrolment_baseline',
              reference: { kind: 'patient_record', mostDistalSite: 'thigh' },
              report: { reportId: 'current', mostDistalSite: 'foot' },
            },
          },
        ],
      },
      {
        name: 'records centralizing when the first report is nearer the spine than at enrolment',
        baselinePain: { intensity: 5, mostDistalSite: 'thigh', side: 'left' },
        history: [],
        newReport: current({ mostDistalSite: 'buttock', side: 'left' }),
        expected: [{ ...CENTRALIZING, evidence: { comparedWith: 'enrolment_baseline' } }],
      },
      {
        name: 'finds no movement when the first report is where the pain was at enrolment',
        baselinePain: { intensity: 5, mostDistalSite: 'thigh', side: 'left' },
        history: [],
        newReport: current({ mostDistalSite: 'thigh', side: 'left' }),
        expected: [],
      },
      {
        name: 'compares a later report with the previous one, not with the enrolment',
        baselinePain: { intensity: 5, mostDistalSite: 'thigh', side: 'left' },
        history: [previous({ mostDistalSite: 'foot', side: 'left' })],
        newReport: current({ mostDistalSite: 'foot', side: 'left' }),
        expected: [],
      },
      {
        name: 'flags peripheralization when the pain moves from thigh to calf',
        history: [previous({ mostDistalSite: 'thigh', side: 'left' })],
        newReport: current({ mostDistalSite: 'calf', side: 'left' }),
        expected: [
          {
            ...PERIPHERALIZATION,
            reportId: 'current',
            evidence: {
              comparedWith: 'previous_report',
              reference: { reportId: 'previous', mostDistalSite: 'thigh' },
              report: { reportId: 'current', mostDistalSite: 'calf' },
            },
          },
        ],
      },
      {
        name: 'flags peripheralization when low-back pain spreads to the buttock',
        history: [previous({ mostDistalSite: 'low_back' })],
        newReport: current({ mostDistalSite: 'buttock', side: 'right' }),
        expected: [
          {
            ...PERIPHERALIZATION,
            evidence: {
              reference: { reportId: 'previous', mostDistalSite: 'low_back' },
              report: { reportId: 'current', mostDistalSite: 'buttock' },
            },
          },
        ],
      },
      {
        name: 'flags peripheralization when foot pain follows a pain-free report',
        history: [previous({ mostDistalSite: 'none', intensity: 0 })],
        newReport: current({ mostDistalSite: 'foot', side: 'left' }),
        expected: [
          {
            ...PERIPHERALIZATION,
            evidence: { reference: { mostDistalSite: 'none' }, report: { mostDistalSite: 'foot' } },
          },
        ],
      },
      {
        name: 'finds no movement when the pain stays in the calf',
        history: [previous({ mostDistalSite: 'calf', side: 'left', intensity: 3 })],
        newReport: current({ mostDistalSite: 'calf', side: 'left', intensity: 7 }),
        expected: [],
      },
      {
        name: 'records centralizing when the pain moves from calf back to thigh',
        history: [previous({ mostDistalSite: 'calf', side: 'left' })],
        newReport: current({ mostDistalSite: 'thigh', side: 'left' }),
        expected: [
          {
            ...CENTRALIZING,
            reportId: 'current',
            evidence: {
              comparedWith: 'previous_report',
              reference: { reportId: 'previous', mostDistalSite: 'calf' },
              report: { reportId: 'current', mostDistalSite: 'thigh' },
            },
          },
        ],
      },
      {
        name: 'records centralizing when the leg pain clears completely',
        history: [previous({ mostDistalSite: 'foot', side: 'right' })],
        newReport: current({ mostDistalSite: 'none', intensity: 0 }),
        expected: [{ ...CENTRALIZING, evidence: { reference: { mostDistalSite: 'foot' } } }],
      },
      {
        name: 'records centralizing when buttock pain retreats to the low back',
        history: [previous({ mostDistalSite: 'buttock', side: 'left' })],
        newReport: current({ mostDistalSite: 'low_back' }),
        expected: [{ ...CENTRALIZING }],
      },
      {
        name: 'finds nothing to compare with for a first report',
        history: [],
        newReport: current({ mostDistalSite: 'calf', side: 'left' }),
        expected: [],
      },
      {
        name: 'compares with the latest earlier report whatever its context',
        history: [
          report({
            id: 'oldest',
            reportedAt: at('2026-03-01T09:00:00Z'),
            context: 'baseline',
            mostDistalSite: 'foot',
            side: 'left',
          }),
          previous({
            context: 'after_session',
            sessionId: 'session-0',
            mostDistalSite: 'buttock',
            side: 'left',
          }),
        ],
        newReport: current({ context: 'next_day', mostDistalSite: 'thigh', side: 'left' }),
        expected: [
          {
            ...PERIPHERALIZATION,
            evidence: { comparedWith: 'previous_report', reference: { reportId: 'previous' } },
          },
        ],
      },
      {
        name: 'compares an after-session report with its own before-session report, not with a report in between',
        history: [
          beforeSession({ mostDistalSite: 'buttock', side: 'left' }),
          report({
            id: 'in-between',
            reportedAt: at('2026-03-02T09:20:00Z'),
            sessionId: 'session-2',
            mostDistalSite: 'foot',
            side: 'left',
          }),
        ],
        newReport: afterSession({ mostDistalSite: 'thigh', side: 'left' }),
        expected: [
          {
            ...PERIPHERALIZATION,
            reportId: 'after',
            evidence: {
              comparedWith: 'before_session',
              reference: { reportId: 'before', mostDistalSite: 'buttock' },
              report: { reportId: 'after', mostDistalSite: 'thigh' },
            },
          },
        ],
      },
      {
        name: 'finds no movement when a session ends at the site it began, whatever came in between',
        history: [
          beforeSession(THIGH_LEFT),
          report({
            id: 'in-between',
            reportedAt: at('2026-03-02T09:20:00Z'),
            sessionId: 'session-2',
            mostDistalSite: 'foot',
            side: 'left',
          }),
        ],
        newReport: afterSession(THIGH_LEFT),
        expected: [],
      },
      {
        name: 'records centralizing when the pain leaves the calf during the session',
        history: [beforeSession({ mostDistalSite: 'calf', side: 'left' })],
        newReport: afterSession(THIGH_LEFT),
        expected: [
          {
            ...CENTRALIZING,
            reportId: 'after',
            evidence: { comparedWith: 'before_session', reference: { reportId: 'before' } },
          },
        ],
      },
      {
        name: 'pairs an after-session report without a session id with the before-session report an hour earlier',
        history: [
          beforeSession({ sessionId: null, ...THIGH_LEFT }),
          report({
            id: 'in-between',
            reportedAt: at('2026-03-02T09:20:00Z'),
            context: 'baseline',
            mostDistalSite: 'foot',
            side: 'left',
          }),
        ],
        newReport: afterSession({
          sessionId: null,
          reportedAt: at('2026-03-02T10:00:00Z'),
          mostDistalSite: 'calf',
          side: 'left',
        }),
        expected: [
          {
            ...PERIPHERALIZATION,
            evidence: { comparedWith: 'before_session', reference: { reportId: 'before' } },
          },
        ],
      },
    ])('$name', ({ baselinePain, history, newReport, expected }) => {
      const findings = evaluate({
        patient: patient({ baselinePain: baselinePain ?? null }),
        history,
        newReports: [newReport],
      });

      expect(ofRules(findings, 'PERIPHERALIZATION', 'CENTRALIZING')).toMatchObject(expected);
    });
  });

  describe('new leg pain', () => {
    const NEW_LEG_PAIN = {
      rule: 'NEW_LEG_PAIN',
      severity: 'warning',
      action: 'pause_exercises',
      programEffect: 'pause',
    } as const;

    it.each<{
      name: string;
      baselinePain: BaselinePain | null;
      history?: PainObservation[];
      newReports: PainObservation[];
      expected: ExpectedFinding[];
    }>([
      {
        name: 'flags new leg pain when buttock pain appears over a low-back baseline',
        baselinePain: LOW_BACK_BASELINE,
        newReports: [current({ mostDistalSite: 'buttock', side: 'left' })],
        expected: [
          {
            ...NEW_LEG_PAIN,
            reportId: 'current',
            evidence: {
              newSides: ['left'],
              baseline: { kind: 'patient_record', intensity: 3, mostDistalSite: 'low_back' },
              report: { reportId: 'current', mostDistalSite: 'buttock', side: 'left' },
            },
          },
        ],
      },
      {
        name: 'flags new leg pain when thigh pain appears over a pain-free baseline',
        baselinePain: { intensity: 0, mostDistalSite: 'none' },
        newReports: [current({ mostDistalSite: 'thigh', side: 'right' })],
        expected: [
          {
            ...NEW_LEG_PAIN,
            evidence: { newSides: ['right'], baseline: { mostDistalSite: 'none' } },
          },
        ],
      },
      {
        name: 'flags nothing when only low-back pain appears over a pain-free baseline',
        baselinePain: { intensity: 0, mostDistalSite: 'none' },
        newReports: [current({ mostDistalSite: 'low_back', side: 'both' })],
        expected: [],
      },
      {
        name: 'flags nothing without any baseline',
        baselinePain: null,
        newReports: [current({ mostDistalSite: 'calf', side: 'left' })],
        expected: [],
      },
      {
        name: 'flags new leg pain when the other leg starts to hurt',
        baselinePain: { intensity: 4, mostDistalSite: 'thigh', side: 'left' },
        newReports: [current({ mostDistalSite: 'calf', side: 'right' })],
        expected: [{ ...NEW_LEG_PAIN, evidence: { newSides: ['right'] } }],
      },
      {
        name: 'flags the new leg only when one-leg pain becomes pain in both legs',
        baselinePain: { intensity: 4, mostDistalSite: 'thigh', side: 'left' },
        newReports: [current({ mostDistalSite: 'thigh', side: 'both' })],
        expected: [{ ...NEW_LEG_PAIN, evidence: { newSides: ['right'] } }],
      },
      {
        name: 'leaves pain spreading down the same leg to the other rules',
        baselinePain: { intensity: 4, mostDistalSite: 'thigh', side: 'left' },
        newReports: [current({ mostDistalSite: 'foot', side: 'left' })],
        expected: [],
      },
      {
        name: 'flags nothing when the baseline already had pain in both legs',
        baselinePain: { intensity: 4, mostDistalSite: 'thigh', side: 'both' },
        newReports: [current({ mostDistalSite: 'calf', side: 'left' })],
        expected: [],
      },
      {
        name: 'compares sites only when the baseline leg pain has no side',
        baselinePain: { intensity: 4, mostDistalSite: 'thigh' },
        newReports: [current({ mostDistalSite: 'calf', side: 'right' })],
        expected: [],
      },
      {
        name: 'compares sites only when the report leg pain has no side',
        baselinePain: { intensity: 4, mostDistalSite: 'thigh', side: 'left' },
        newReports: [current({ mostDistalSite: 'calf', side: null })],
        expected: [],
      },
      {
        name: 'flags leg pain of unknown side over a low-back baseline',
        baselinePain: LOW_BACK_BASELINE,
        newReports: [current({ mostDistalSite: 'calf', side: null })],
        expected: [{ ...NEW_LEG_PAIN, evidence: { newSides: ['unknown'] } }],
      },
      {
        name: 'flags nothing when buttock pain at baseline retreats to the low back',
        baselinePain: { intensity: 4, mostDistalSite: 'buttock', side: 'left' },
        newReports: [current({ mostDistalSite: 'low_back' })],
        expected: [],
      },
      {
        name: 'measures against the enrolment record, not a later at-rest report',
        baselinePain: { intensity: 4, mostDistalSite: 'thigh', side: 'left' },
        history: [previous({ id: 'baseline-report', context: 'baseline' })],
        newReports: [current(THIGH_LEFT)],
        expected: [],
      },
      {
        name: 'measures against the first at-rest report when there is no enrolment record',
        baselinePain: null,
        history: [previous({ id: 'baseline-report', context: 'baseline' })],
        newReports: [current(THIGH_LEFT)],
        expected: [
          {
            ...NEW_LEG_PAIN,
            evidence: {
              newSides: ['left'],
              baseline: {
                kind: 'baseline_report',
                reportId: 'baseline-report',
                mostDistalSite: 'low_back',
              },
            },
          },
        ],
      },
      {
        name: 'does not flag leg pain an at-rest previous report already had',
        baselinePain: LOW_BACK_BASELINE,
        history: [
          report({
            id: 'first-baseline',
            reportedAt: at('2026-03-01T09:00:00Z'),
            context: 'baseline',
          }),
          previous({ id: 'latest-baseline', context: 'baseline', ...THIGH_LEFT }),
        ],
        newReports: [current(THIGH_LEFT)],
        expected: [],
      },
      {
        name: 'keeps the first at-rest report as the baseline: a later pain-free one does not move it',
        baselinePain: null,
        history: [
          report({
            id: 'first-baseline',
            reportedAt: at('2026-03-01T09:00:00Z'),
            context: 'baseline',
            ...THIGH_LEFT,
          }),
          previous({ id: 'latest-baseline', context: 'baseline' }),
        ],
        newReports: [current(THIGH_LEFT)],
        expected: [],
      },
      {
        name: 'ignores a baseline report made after the report',
        baselinePain: LOW_BACK_BASELINE,
        history: [
          report({
            id: 'later-baseline',
            reportedAt: at('2026-03-05T09:00:00Z'),
            context: 'baseline',
            ...THIGH_LEFT,
          }),
        ],
        newReports: [current(THIGH_LEFT)],
        expected: [{ ...NEW_LEG_PAIN, evidence: { baseline: { kind: 'patient_record' } } }],
      },
      {
        name: 'does not flag again leg pain the previous report already had',
        baselinePain: LOW_BACK_BASELINE,
        history: [previous(THIGH_LEFT)],
        newReports: [current({ mostDistalSite: 'calf', side: 'left' })],
        expected: [],
      },
      {
        name: 'flags leg pain in the leg the previous report did not have',
        baselinePain: LOW_BACK_BASELINE,
        history: [previous(THIGH_LEFT)],
        newReports: [current({ mostDistalSite: 'thigh', side: 'right' })],
        expected: [{ ...NEW_LEG_PAIN, evidence: { newSides: ['right'] } }],
      },
      {
        name: 'flags leg pain again when it comes back after a report without it',
        baselinePain: LOW_BACK_BASELINE,
        history: [
          report({ id: 'earlier-leg-pain', reportedAt: at('2026-03-01T09:00:00Z'), ...THIGH_LEFT }),
          previous({ mostDistalSite: 'low_back' }),
        ],
        newReports: [current(THIGH_LEFT)],
        expected: [{ ...NEW_LEG_PAIN, reportId: 'current' }],
      },
      {
        name: 'does not flag again leg pain the previous report had on an unknown side',
        baselinePain: LOW_BACK_BASELINE,
        history: [previous({ mostDistalSite: 'thigh', side: null })],
        newReports: [current(THIGH_LEFT)],
        expected: [],
      },
      {
        name: 'does not flag again pain in the new leg when the previous report already had it',
        // Baseline: left buttock. Previous: right thigh (that was the new leg pain). Now: both
        // thighs. The only leg new against the baseline, the right one, hurt already last time.
        baselinePain: { intensity: 4, mostDistalSite: 'buttock', side: 'left' },
        history: [previous({ mostDistalSite: 'thigh', side: 'right' })],
        newReports: [current({ mostDistalSite: 'thigh', side: 'both' })],
        expected: [],
      },
      {
        name: 'flags new leg pain once for a session whose before and after reports both show it',
        baselinePain: LOW_BACK_BASELINE,
        newReports: [beforeSession(THIGH_LEFT), afterSession(THIGH_LEFT)],
        expected: [{ ...NEW_LEG_PAIN, reportId: 'before' }],
      },
    ])('$name', ({ baselinePain, history, newReports, expected }) => {
      const findings = evaluate({
        patient: patient({ baselinePain }),
        history: history ?? [],
        newReports,
      });

      expect(ofRules(findings, 'NEW_LEG_PAIN')).toMatchObject(expected);
    });
  });

  describe('pain after a session', () => {
    const LEG = 'LEG_PAIN_WORSE';
    const INCREASED = 'INCREASED_PAIN_AFTER_EXERCISE';

    it.each<{
      name: string;
      history?: PainObservation[];
      newReports: PainObservation[];
      settings?: Partial<RuleSettings>;
      expected: RuleId[];
    }>([
      {
        name: 'flags leg pain worse when thigh pain rises by exactly 2 points after the session',
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 3 }),
          afterSession({ ...THIGH_LEFT, intensity: 5 }),
        ],
        expected: [INCREASED, LEG],
      },
      {
        name: 'flags only increased pain when thigh pain rises by 1 point',
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 3 }),
          afterSession({ ...THIGH_LEFT, intensity: 4 }),
        ],
        expected: [INCREASED],
      },
      {
        name: 'flags nothing when the pain is the same after the session',
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 4 }),
          afterSession({ ...THIGH_LEFT, intensity: 4 }),
        ],
        expected: [],
      },
      {
        name: 'flags nothing when the pain eases after the session',
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 6 }),
          afterSession({ ...THIGH_LEFT, intensity: 3 }),
        ],
        expected: [],
      },
      {
        name: 'flags leg pain worse for buttock pain up 4 points',
        newReports: [
          beforeSession({ mostDistalSite: 'buttock', side: 'right', intensity: 2 }),
          afterSession({ mostDistalSite: 'buttock', side: 'right', intensity: 6 }),
        ],
        expected: [INCREASED, LEG],
      },
      {
        name: 'flags leg pain worse for foot pain up 2 points',
        newReports: [
          beforeSession({ mostDistalSite: 'foot', side: 'left', intensity: 1 }),
          afterSession({ mostDistalSite: 'foot', side: 'left', intensity: 3 }),
        ],
        expected: [INCREASED, LEG],
      },
      {
        name: 'flags only increased pain when the pain after the session is in the low back',
        newReports: [
          beforeSession({ mostDistalSite: 'low_back', intensity: 3 }),
          afterSession({ mostDistalSite: 'low_back', intensity: 6 }),
        ],
        expected: [INCREASED],
      },
      {
        name: 'flags leg pain worse when back pain before the session is thigh pain after it',
        newReports: [
          beforeSession({ mostDistalSite: 'low_back', intensity: 3 }),
          afterSession({ ...THIGH_LEFT, intensity: 5 }),
        ],
        expected: [INCREASED, LEG],
      },
      {
        name: 'flags only increased pain when thigh pain before the session is back pain after it',
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 3 }),
          afterSession({ mostDistalSite: 'low_back', intensity: 5 }),
        ],
        expected: [INCREASED],
      },
      {
        name: 'compares with a before-session report already in the history',
        history: [beforeSession({ ...THIGH_LEFT, intensity: 3 })],
        newReports: [afterSession({ ...THIGH_LEFT, intensity: 5 })],
        expected: [INCREASED, LEG],
      },
      {
        name: 'pairs the reports of one session even 8 hours apart',
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 3, reportedAt: at('2026-03-02T08:00:00Z') }),
          afterSession({ ...THIGH_LEFT, intensity: 5, reportedAt: at('2026-03-02T16:00:00Z') }),
        ],
        expected: [INCREASED, LEG],
      },
      {
        name: 'pairs an after-session report without a session id with a before-session report 6 h earlier',
        newReports: [
          beforeSession({ sessionId: null, intensity: 3, reportedAt: at('2026-03-02T09:00:00Z') }),
          afterSession({ sessionId: null, intensity: 4, reportedAt: at('2026-03-02T15:00:00Z') }),
        ],
        expected: [INCREASED],
      },
      {
        name: 'does not pair an after-session report without a session id with a before-session report 7 h earlier',
        newReports: [
          beforeSession({ sessionId: null, intensity: 3, reportedAt: at('2026-03-02T09:00:00Z') }),
          afterSession({ sessionId: null, intensity: 6, reportedAt: at('2026-03-02T16:00:00Z') }),
        ],
        expected: [],
      },
      {
        name: 'does not pair across an after-session report in between',
        history: [
          beforeSession({ sessionId: null, intensity: 3, reportedAt: at('2026-03-02T09:00:00Z') }),
          afterSession({
            id: 'earlier-after',
            sessionId: null,
            intensity: 3,
            reportedAt: at('2026-03-02T10:00:00Z'),
          }),
        ],
        newReports: [
          afterSession({
            sessionId: null,
            ...THIGH_LEFT,
            intensity: 6,
            reportedAt: at('2026-03-02T11:00:00Z'),
          }),
        ],
        expected: [],
      },
      {
        name: 'does not pair reports of different sessions',
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 3 }),
          afterSession({ ...THIGH_LEFT, intensity: 6, sessionId: 'session-2' }),
        ],
        expected: [],
      },
      {
        name: 'does not compare an after-session report with a report not given before a session',
        history: [
          report({
            id: 'morning',
            context: 'next_day',
            intensity: 1,
            reportedAt: at('2026-03-02T08:00:00Z'),
          }),
        ],
        newReports: [afterSession({ ...THIGH_LEFT, intensity: 6 })],
        expected: [],
      },
      {
        name: 'does not flag leg pain worse for a 2-point rise when the organization asks for 3',
        settings: { legPainWorseDelta: 3 },
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 3 }),
          afterSession({ ...THIGH_LEFT, intensity: 5 }),
        ],
        expected: [INCREASED],
      },
      {
        name: 'flags leg pain worse for a 3-point rise when the organization asks for 3',
        settings: { legPainWorseDelta: 3 },
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 3 }),
          afterSession({ ...THIGH_LEFT, intensity: 6 }),
        ],
        expected: [INCREASED, LEG],
      },
      {
        name: 'flags leg pain worse for a 1-point rise when the organization asks for 1',
        settings: { legPainWorseDelta: 1 },
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 3 }),
          afterSession({ ...THIGH_LEFT, intensity: 4 }),
        ],
        expected: [INCREASED, LEG],
      },
    ])('$name', ({ history, newReports, settings, expected }) => {
      const findings = evaluate({ history: history ?? [], newReports }, { settings });

      expect(
        ofRules(findings, LEG, INCREASED)
          .map((f) => f.rule)
          .sort(),
      ).toEqual(expected);
    });

    it('gives the before and after reports and the rise as evidence', () => {
      const findings = evaluate({
        newReports: [
          beforeSession({ ...THIGH_LEFT, intensity: 3 }),
          afterSession({ ...THIGH_LEFT, intensity: 5 }),
        ],
      });

      expect(byRule(ofRules(findings, LEG, INCREASED))).toMatchObject([
        {
          rule: INCREASED,
          severity: 'info',
          action: 'review_with_clinician',
          programEffect: null,
          reportId: 'after',
          evidence: {
            before: { reportId: 'before', intensity: 3, context: 'before_session' },
            after: { reportId: 'after', intensity: 5, context: 'after_session' },
            rise: 2,
          },
        },
        {
          rule: LEG,
          severity: 'warning',
          action: 'contact_clinician',
          programEffect: null,
          reportId: 'after',
          evidence: {
            before: { reportId: 'before', intensity: 3 },
            after: { reportId: 'after', intensity: 5, mostDistalSite: 'thigh' },
            rise: 2,
            threshold: 2,
          },
        },
      ]);
    });

    it('records the organization threshold in the evidence', () => {
      const findings = evaluate(
        {
          newReports: [
            beforeSession({ ...THIGH_LEFT, intensity: 2 }),
            afterSession({ ...THIGH_LEFT, intensity: 7 }),
          ],
        },
        { settings: { legPainWorseDelta: 4 } },
      );

      expect(ofRules(findings, LEG)).toMatchObject([{ evidence: { rise: 5, threshold: 4 } }]);
    });
  });

  describe('persistent flare', () => {
    const BEFORE_AT = at('2026-03-02T18:00:00Z');
    const AFTER_AT = at('2026-03-02T19:00:00Z');

    function flareReports(
      afterIntensity: number,
      nextDayHours: number,
      nextDayIntensity: number,
      nextDayContext: PainContext = 'next_day',
    ) {
      return {
        before: beforeSession({ ...THIGH_LEFT, intensity: 3, reportedAt: BEFORE_AT }),
        after: afterSession({ ...THIGH_LEFT, intensity: afterIntensity, reportedAt: AFTER_AT }),
        nextDay: report({
          id: 'next-day',
          context: nextDayContext,
          ...THIGH_LEFT,
          intensity: nextDayIntensity,
          reportedAt: hoursAfter(AFTER_AT, nextDayHours),
        }),
      };
    }

    it.each<{
      name: string;
      afterIntensity?: number;
      nextDayHours: number;
      nextDayIntensity?: number;
      /** The context of the report 12–36 h later: `next_day` unless said. */
      nextDayContext?: PainContext;
      newReport: 'next_day' | 'after_session';
      settings?: Partial<RuleSettings>;
      now?: Date;
      expected: boolean;
    }>([
      {
        name: 'counts an at-rest (baseline) report 24 h after the session as the next day',
        nextDayHours: 24,
        nextDayContext: 'baseline',
        newReport: 'next_day',
        expected: true,
      },
      {
        name: 'counts an at-rest report exactly 12 h after the session',
        nextDayHours: 12,
        nextDayContext: 'baseline',
        newReport: 'next_day',
        expected: true,
      },
      {
        name: 'ignores an at-rest report 11 h after the session',
        nextDayHours: 11,
        nextDayContext: 'baseline',
        newReport: 'next_day',
        expected: false,
      },
      {
        name: 'counts an at-rest report exactly 36 h after the session',
        nextDayHours: 36,
        nextDayContext: 'baseline',
        newReport: 'next_day',
        expected: true,
      },
      {
        name: 'ignores an at-rest report 37 h after the session',
        nextDayHours: 37,
        nextDayContext: 'baseline',
        newReport: 'next_day',
        expected: false,
      },
      {
        name: 'finds the flare when the session is posted after its at-rest report of the next day',
        nextDayHours: 20,
        nextDayContext: 'baseline',
        newReport: 'after_session',
        expected: true,
      },
      {
        name: 'suspends the program when pain is still 2 points up the next day, 24 h after the session',
        nextDayHours: 24,
        newReport: 'next_day',
        expected: true,
      },
      {
        name: 'ignores a next-day report 11 h after the session',
        nextDayHours: 11,
        newReport: 'next_day',
        expected: false,
      },
      {
        name: 'counts a next-day report exactly 12 h after the session',
        nextDayHours: 12,
        newReport: 'next_day',
        expected: true,
      },
      {
        name: 'counts a next-day report exactly 36 h after the session',
        nextDayHours: 36,
        newReport: 'next_day',
        expected: true,
      },
      {
        name: 'ignores a next-day report 37 h after the session',
        nextDayHours: 37,
        newReport: 'next_day',
        expected: false,
      },
      {
        name: 'counts next-day pain exactly 2 points above the level before the session',
        nextDayHours: 20,
        nextDayIntensity: 5,
        newReport: 'next_day',
        expected: true,
      },
      {
        name: 'does not suspend when next-day pain is only 1 point above the level before the session',
        nextDayHours: 20,
        nextDayIntensity: 4,
        newReport: 'next_day',
        expected: false,
      },
      {
        name: 'does not suspend when the pain has settled by the next day',
        nextDayHours: 20,
        nextDayIntensity: 3,
        newReport: 'next_day',
        expected: false,
      },
      {
        name: 'does not suspend when pain right after the session was only 1 point up',
        afterIntensity: 4,
        nextDayHours: 20,
        nextDayIntensity: 6,
        newReport: 'next_day',
        expected: false,
      },
      {
        name: 'suspends when a late-posted session is followed by a next-day report already in the history',
        nextDayHours: 20,
        newReport: 'after_session',
        expected: true,
      },
      {
        name: 'counts a history next-day report exactly 12 h after a late-posted session',
        nextDayHours: 12,
        newReport: 'after_session',
        expected: true,
      },
      {
        name: 'ignores a history next-day report 37 h after a late-posted session',
        nextDayHours: 37,
        newReport: 'after_session',
        expected: false,
      },
      {
        name: 'ignores a next-day report dated after now',
        nextDayHours: 20,
        newReport: 'after_session',
        now: hoursAfter(AFTER_AT, 19),
        expected: false,
      },
      {
        name: 'counts a next-day report dated exactly now',
        nextDayHours: 20,
        newReport: 'after_session',
        now: hoursAfter(AFTER_AT, 20),
        expected: true,
      },
      {
        name: 'does not suspend on a 2-point flare when the organization asks for 3',
        settings: { flareDelta: 3 },
        nextDayHours: 20,
        newReport: 'next_day',
        expected: false,
      },
      {
        name: 'suspends on a 3-point flare when the organization asks for 3',
        settings: { flareDelta: 3 },
        afterIntensity: 6,
        nextDayHours: 20,
        nextDayIntensity: 6,
        newReport: 'next_day',
        expected: true,
      },
      {
        name: 'counts a next-day report 40 h later when the organization widens the window to 48 h',
        settings: { flareNextDayMaxHours: 48 },
        nextDayHours: 40,
        newReport: 'next_day',
        expected: true,
      },
      {
        name: 'counts a next-day report 10 h later when the organization opens the window at 8 h',
        settings: { flareNextDayMinHours: 8 },
        nextDayHours: 10,
        newReport: 'next_day',
        expected: true,
      },
    ])(
      '$name',
      ({
        afterIntensity,
        nextDayHours,
        nextDayIntensity,
        nextDayContext,
        newReport,
        settings,
        now,
        expected,
      }) => {
        const { before, after, nextDay } = flareReports(
          afterIntensity ?? 5,
          nextDayHours,
          nextDayIntensity ?? 5,
          nextDayContext,
        );
        const input =
          newReport === 'next_day'
            ? { history: [before, after], newReports: [nextDay] }
            : { history: [nextDay], newReports: [before, after] };

        const findings = evaluate(input, { settings, now });

        expect(ofRules(findings, 'PERSISTENT_FLARE').map((f) => f.reportId)).toEqual(
          expected ? [newReport === 'next_day' ? 'next-day' : 'after'] : [],
        );
      },
    );

    it('suspends all exercises and gives the three reports as evidence', () => {
      const { before, after, nextDay } = flareReports(6, 24, 5);

      const findings = evaluate({ history: [before, after], newReports: [nextDay] });

      expect(ofRules(findings, 'PERSISTENT_FLARE')).toEqual([
        {
          rule: 'PERSISTENT_FLARE',
          severity: 'warning',
          action: 'stop_all_exercises',
          programEffect: 'suspend',
          reportId: 'next-day',
          evidence: expect.objectContaining({
            before: expect.objectContaining({ reportId: 'before', intensity: 3 }),
            after: expect.objectContaining({ reportId: 'after', intensity: 6 }),
            nextDay: expect.objectContaining({
              reportId: 'next-day',
              intensity: 5,
              reportedAt: '2026-03-03T19:00:00.000Z',
            }),
            threshold: 2,
            hoursAfterSession: 24,
          }),
        },
      ]);
    });

    it('only counts an at-rest report, not the pain before a later session', () => {
      const { before, after } = flareReports(6, 20, 6);
      const laterSession = report({
        id: 'later-before',
        context: 'before_session',
        sessionId: 'session-2',
        ...THIGH_LEFT,
        intensity: 6,
        reportedAt: hoursAfter(AFTER_AT, 20),
      });

      const findings = evaluate({ history: [before, after], newReports: [laterSession] });

      expect(ofRules(findings, 'PERSISTENT_FLARE')).toEqual([]);
    });

    it('needs the level before the session to call it a flare', () => {
      const { after, nextDay } = flareReports(8, 20, 8);

      const findings = evaluate({ history: [after], newReports: [nextDay] });

      expect(ofRules(findings, 'PERSISTENT_FLARE')).toEqual([]);
    });

    it.each<{
      name: string;
      before: string;
      after: string;
      nextDay: string;
      expectedHours: number | null;
    }>([
      {
        name: 'counts 24 h from 11:00 at UTC-8 to 08:00 two calendar days later at UTC+13',
        before: '2026-03-01T10:00:00-08:00',
        after: '2026-03-01T11:00:00-08:00',
        nextDay: '2026-03-03T08:00:00+13:00',
        expectedHours: 24,
      },
      {
        name: 'counts 19 h although the next-day local time reads earlier than the session',
        before: '2026-03-02T07:00:00+13:00',
        after: '2026-03-02T08:00:00+13:00',
        nextDay: '2026-03-02T06:00:00-08:00',
        expectedHours: 19,
      },
      {
        name: 'ignores a next-day report 44 h later although the local clocks are 23 h apart',
        before: '2026-03-02T07:00:00+13:00',
        after: '2026-03-02T08:00:00+13:00',
        nextDay: '2026-03-03T07:00:00-08:00',
        expectedHours: null,
      },
      {
        name: 'counts a next-day report exactly 12 h later although the local clocks are 33 h apart',
        before: '2026-03-01T10:00:00-08:00',
        after: '2026-03-01T11:00:00-08:00',
        nextDay: '2026-03-02T20:00:00+13:00',
        expectedHours: 12,
      },
      {
        name: 'ignores a next-day report 11 h later although the local clocks are 32 h apart',
        before: '2026-03-01T10:00:00-08:00',
        after: '2026-03-01T11:00:00-08:00',
        nextDay: '2026-03-02T19:00:00+13:00',
        expectedHours: null,
      },
    ])('$name', ({ before, after, nextDay, expectedHours }) => {
      const findings = evaluate({
        history: [
          beforeSession({ ...THIGH_LEFT, intensity: 3, reportedAt: at(before) }),
          afterSession({ ...THIGH_LEFT, intensity: 5, reportedAt: at(after) }),
        ],
        newReports: [
          report({
            id: 'next-day',
            context: 'next_day',
            ...THIGH_LEFT,
            intensity: 5,
            reportedAt: at(nextDay),
          }),
        ],
      });

      expect(ofRules(findings, 'PERSISTENT_FLARE')).toMatchObject(
        expectedHours === null ? [] : [{ evidence: { hoursAfterSession: expectedHours } }],
      );
    });
  });

  describe('pain trend', () => {
    const CURRENT_AT = at('2026-03-09T09:00:00Z');
    const earlier = (id: string, reportedAt: Date, intensity: number): PainObservation =>
      report({ id, reportedAt, intensity, context: 'next_day' });

    it.each<{
      name: string;
      baselinePain?: BaselinePain | null;
      timezone?: string;
      history?: PainObservation[];
      intensity: number;
      settings?: Partial<RuleSettings>;
      expected: Record<string, unknown> | null;
    }>([
      {
        name: "flags a worse trend when the week's mean is exactly 2 points above baseline",
        history: [
          earlier('thursday', at('2026-03-05T09:00:00Z'), 4),
          earlier('saturday', at('2026-03-07T09:00:00Z'), 6),
        ],
        intensity: 5,
        expected: {
          windowStart: '2026-03-02T09:00:00.000Z',
          windowEnd: '2026-03-09T09:00:00.000Z',
          reportIds: ['thursday', 'saturday', 'current'],
          mean: 5,
          baseline: { kind: 'patient_record', intensity: 3 },
          threshold: 2,
        },
      },
      {
        name: "does not flag a week's mean 1.67 points above baseline",
        history: [
          earlier('thursday', at('2026-03-05T09:00:00Z'), 4),
          earlier('saturday', at('2026-03-07T09:00:00Z'), 5),
        ],
        intensity: 5,
        expected: null,
      },
      {
        name: 'flags two reports on two local days 2 points above baseline',
        history: [earlier('yesterday', daysBefore(CURRENT_AT, 1), 5)],
        intensity: 5,
        expected: { reportIds: ['yesterday', 'current'], mean: 5, localDays: 2 },
      },
      {
        name: 'does not flag a single report, however far above baseline',
        intensity: 9,
        expected: null,
      },
      {
        name: 'does not flag two reports on one local day',
        history: [earlier('this-morning', at('2026-03-09T06:30:00Z'), 9)],
        intensity: 9,
        expected: null,
      },
      {
        name: "counts the patient's local days: 23:30 and 02:00 in Los Angeles are two days",
        timezone: 'America/Los_Angeles',
        history: [earlier('last-night', at('2026-03-09T06:30:00Z'), 9)],
        intensity: 9,
        expected: { reportIds: ['last-night', 'current'], localDays: 2 },
      },
      {
        name: 'does not flag two reports 1 point above baseline',
        history: [earlier('yesterday', daysBefore(CURRENT_AT, 1), 4)],
        intensity: 4,
        expected: null,
      },
      {
        name: 'leaves out a report made exactly 7 days earlier',
        history: [
          earlier('week-ago', daysBefore(CURRENT_AT, 7), 0),
          earlier('yesterday', daysBefore(CURRENT_AT, 1), 5),
        ],
        intensity: 5,
        expected: { reportIds: ['yesterday', 'current'], mean: 5 },
      },
      {
        name: 'includes a report made 7 days less one minute earlier',
        history: [
          earlier('week-ago', at('2026-03-02T09:01:00Z'), 0),
          earlier('yesterday', daysBefore(CURRENT_AT, 1), 5),
        ],
        intensity: 5,
        expected: null,
      },
      {
        name: 'measures against the enrolment record, not a later at-rest report',
        history: [
          report({
            id: 'baseline-report',
            context: 'baseline',
            intensity: 5,
            reportedAt: at('2026-03-06T09:00:00Z'),
          }),
        ],
        intensity: 6,
        expected: {
          reportIds: ['baseline-report', 'current'],
          mean: 5.5,
          baseline: { kind: 'patient_record', intensity: 3 },
        },
      },
      {
        name: 'counts the first at-rest report in the mean and, without a record, names it as the baseline',
        baselinePain: null,
        history: [
          report({
            id: 'baseline-report',
            context: 'baseline',
            intensity: 2,
            reportedAt: at('2026-03-06T09:00:00Z'),
          }),
        ],
        intensity: 6,
        expected: {
          reportIds: ['baseline-report', 'current'],
          mean: 4,
          baseline: { kind: 'baseline_report', reportId: 'baseline-report', intensity: 2 },
        },
      },
      {
        name: 'flags pain of 2 over a pain-free baseline',
        baselinePain: { intensity: 0, mostDistalSite: 'none' },
        history: [earlier('yesterday', daysBefore(CURRENT_AT, 1), 2)],
        intensity: 2,
        expected: { mean: 2, baseline: { intensity: 0, mostDistalSite: 'none' } },
      },
      {
        name: 'never flags a trend without a baseline',
        baselinePain: null,
        history: [earlier('yesterday', daysBefore(CURRENT_AT, 1), 9)],
        intensity: 9,
        expected: null,
      },
      {
        name: 'does not flag 2 points above baseline when the organization asks for 3',
        settings: { painTrendDelta: 3 },
        history: [earlier('yesterday', daysBefore(CURRENT_AT, 1), 5)],
        intensity: 5,
        expected: null,
      },
      {
        name: 'flags 3 points above baseline when the organization asks for 3',
        settings: { painTrendDelta: 3 },
        history: [earlier('yesterday', daysBefore(CURRENT_AT, 1), 6)],
        intensity: 6,
        expected: { mean: 6, threshold: 3 },
      },
      {
        name: 'includes a report 4 days earlier in the default 7-day window',
        history: [earlier('four-days-ago', daysBefore(CURRENT_AT, 4), 0)],
        intensity: 5,
        expected: null,
      },
      {
        name: 'leaves out a report 4 days earlier when the organization shortens the window to 3 days',
        settings: { painTrendWindowDays: 3 },
        history: [
          earlier('four-days-ago', daysBefore(CURRENT_AT, 4), 0),
          earlier('two-days-ago', daysBefore(CURRENT_AT, 2), 5),
        ],
        intensity: 5,
        expected: {
          reportIds: ['two-days-ago', 'current'],
          windowStart: '2026-03-06T09:00:00.000Z',
        },
      },
    ])('$name', ({ baselinePain, timezone, history, intensity, settings, expected }) => {
      const findings = evaluate(
        {
          patient: patient({
            baselinePain: baselinePain === undefined ? LOW_BACK_BASELINE : baselinePain,
            timezone: timezone ?? 'UTC',
          }),
          history: history ?? [],
          newReports: [report({ id: 'current', reportedAt: CURRENT_AT, intensity })],
        },
        { settings },
      );

      expect(ofRules(findings, 'PAIN_TREND_WORSE')).toMatchObject(
        expected === null
          ? []
          : [
              {
                rule: 'PAIN_TREND_WORSE',
                severity: 'warning',
                action: 'contact_clinician',
                programEffect: null,
                reportId: 'current',
                evidence: expected,
              },
            ],
      );
    });
  });

  describe('persistent symptoms', () => {
    const ONSET = '2025-10-15'; // + 4 months = 2026-02-15: from 2026-02-16, in the patient's zone

    it.each<{
      name: string;
      onset?: string | null;
      timezone?: string;
      baselinePain?: BaselinePain | null;
      history?: PainObservation[];
      reportedAt?: string;
      intensity: number;
      settings?: Partial<RuleSettings>;
      odi?: { first: number; latest: number };
      expected: Record<string, unknown> | null;
    }>([
      {
        name: 'suggests a specialist review when pain is unchanged about 5 months after onset',
        intensity: 6,
        expected: { improvementPercent: 0 },
      },
      {
        name: 'does not suggest it on the day exactly 4 months after onset, to its last second',
        reportedAt: '2026-02-15T23:59:59Z',
        intensity: 6,
        expected: null,
      },
      {
        name: 'suggests it from the next local day',
        reportedAt: '2026-02-16T00:00:00Z',
        intensity: 6,
        expected: { improvementPercent: 0 },
      },
      {
        name: "counts in the patient's zone: 08:00 on the 16th in Auckland is the next day",
        timezone: 'Pacific/Auckland',
        reportedAt: '2026-02-16T08:00:00+13:00',
        intensity: 6,
        expected: { improvementPercent: 0 },
      },
      {
        name: "counts in the patient's zone: 16:30 on the 15th in Los Angeles is still the day",
        timezone: 'America/Los_Angeles',
        reportedAt: '2026-02-15T16:30:00-08:00',
        intensity: 6,
        expected: null,
      },
      {
        name: 'takes a month without the onset day to its last day: 31 October + 4 months is 28 February',
        onset: '2025-10-31',
        reportedAt: '2026-02-28T12:00:00Z',
        intensity: 6,
        expected: null,
      },
      {
        name: 'suggests it on 1 March after an onset on 31 October',
        onset: '2025-10-31',
        reportedAt: '2026-03-01T00:00:00Z',
        intensity: 6,
        expected: { improvementPercent: 0 },
      },
      {
        name: 'does not suggest it after exactly 30 % improvement',
        baselinePain: { intensity: 10, mostDistalSite: 'thigh', side: 'left' },
        intensity: 7,
        expected: null,
      },
      {
        name: 'suggests it after only 20 % improvement',
        baselinePain: { intensity: 10, mostDistalSite: 'thigh', side: 'left' },
        intensity: 8,
        expected: { improvementPercent: 20, requiredImprovementPercent: 30 },
      },
      {
        name: 'suggests it after 16.7 % improvement',
        intensity: 5,
        expected: { improvementPercent: 16.7 },
      },
      {
        name: 'does not suggest it after 33.3 % improvement',
        intensity: 4,
        expected: null,
      },
      {
        name: 'suggests it when the pain is worse than at baseline',
        intensity: 8,
        expected: { improvementPercent: -33.3 },
      },
      {
        name: 'does not suggest it over a pain-free baseline',
        baselinePain: { intensity: 0, mostDistalSite: 'none' },
        intensity: 5,
        expected: null,
      },
      {
        name: 'does not suggest it when the onset date is unknown',
        onset: null,
        intensity: 6,
        expected: null,
      },
      {
        name: 'does not suggest it without a baseline',
        baselinePain: null,
        intensity: 6,
        expected: null,
      },
      {
        name: 'measures improvement from the first at-rest report when there is no enrolment record',
        baselinePain: null,
        history: [
          report({
            id: 'baseline-report',
            context: 'baseline',
            intensity: 4,
            reportedAt: at('2026-03-01T09:00:00Z'),
          }),
        ],
        intensity: 4,
        expected: {
          improvementPercent: 0,
          baseline: { kind: 'baseline_report', reportId: 'baseline-report', intensity: 4 },
        },
      },
      {
        name: 'does not suggest it before 6 months when the organization asks for 6',
        settings: { persistentSymptomsMonths: 6 },
        intensity: 6,
        expected: null,
      },
      {
        name: 'suggests it the day after 3 months when the organization asks for 3',
        settings: { persistentSymptomsMonths: 3 },
        reportedAt: '2026-01-16T00:00:00Z',
        intensity: 6,
        expected: { months: 3 },
      },
      {
        name: 'does not suggest it after 20 % improvement when the organization asks for 15 %',
        settings: { persistentImprovementPercent: 15 },
        baselinePain: { intensity: 10, mostDistalSite: 'thigh', side: 'left' },
        intensity: 8,
        expected: null,
      },
      {
        name: 'suggests it after 40 % improvement when the organization asks for 50 %',
        settings: { persistentImprovementPercent: 50 },
        baselinePain: { intensity: 10, mostDistalSite: 'thigh', side: 'left' },
        intensity: 6,
        expected: { improvementPercent: 40, requiredImprovementPercent: 50 },
      },
      {
        name: 'does not suggest it when the ODI improved by 30 % though the pain did not',
        odi: { first: 50, latest: 35 },
        intensity: 6,
        expected: null,
      },
      {
        name: 'suggests it when the ODI improved by 29.9 % only, with the ODI as evidence',
        odi: { first: 40.1, latest: 28.12 },
        intensity: 6,
        expected: {
          improvementPercent: 0,
          odi: { first: 40.1, latest: 28.12, improvementPercent: 29.9 },
        },
      },
      {
        name: 'suggests it when the ODI got worse',
        odi: { first: 30, latest: 44 },
        intensity: 6,
        expected: { odi: { improvementPercent: -46.7 } },
      },
      {
        name: 'counts 92 → 64.4 as 30 % exactly (29.999999999999993 in floating point)',
        odi: { first: 92, latest: 64.4 },
        intensity: 6,
        expected: null,
      },
      {
        name: 'lets the pain decide when the first ODI was 0',
        odi: { first: 0, latest: 0 },
        intensity: 6,
        expected: { improvementPercent: 0 },
      },
    ])(
      '$name',
      ({
        onset,
        timezone,
        baselinePain,
        history,
        reportedAt,
        intensity,
        settings,
        expected,
        odi,
      }) => {
        const findings = evaluate(
          {
            patient: patient({
              symptomOnsetDate: onset === undefined ? ONSET : onset,
              timezone: timezone ?? 'UTC',
              odi: odi ?? null,
              baselinePain:
                baselinePain === undefined
                  ? { intensity: 6, mostDistalSite: 'low_back' }
                  : baselinePain,
            }),
            history: history ?? [],
            newReports: [
              report({
                id: 'current',
                reportedAt: at(reportedAt ?? '2026-03-09T09:00:00Z'),
                intensity,
              }),
            ],
          },
          { settings },
        );

        expect(ofRules(findings, 'PERSISTENT_SYMPTOMS')).toMatchObject(
          expected === null ? [] : [{ reportId: 'current', evidence: expected }],
        );
      },
    );

    it('suggests a specialist review with the onset, baseline and report as evidence', () => {
      const findings = evaluate({
        patient: patient({
          symptomOnsetDate: ONSET,
          baselinePain: { intensity: 6, mostDistalSite: 'calf', side: 'left' },
        }),
        newReports: [current({ reportedAt: at('2026-03-09T09:00:00Z'), intensity: 5 })],
      });

      expect(ofRules(findings, 'PERSISTENT_SYMPTOMS')).toEqual([
        {
          rule: 'PERSISTENT_SYMPTOMS',
          severity: 'info',
          action: 'consider_specialist_review',
          programEffect: null,
          reportId: 'current',
          evidence: expect.objectContaining({
            symptomOnsetDate: '2025-10-15',
            months: 4,
            baseline: expect.objectContaining({ kind: 'patient_record', intensity: 6 }),
            report: expect.objectContaining({ reportId: 'current', intensity: 5 }),
            improvementPercent: 16.7,
            requiredImprovementPercent: 30,
          }),
        },
      ]);
    });
  });

  describe('ordering, time zones and the clock', () => {
    it('takes the previous report by instant, not by the local time written in it', () => {
      const findings = evaluate({
        history: [
          // 17:00 UTC on 1 March, although it reads 2 March.
          report({
            id: 'auckland',
            reportedAt: at('2026-03-02T06:00:00+13:00'),
            ...THIGH_LEFT,
          }),
          // 18:00 UTC on 1 March: the later of the two.
          report({
            id: 'los-angeles',
            reportedAt: at('2026-03-01T10:00:00-08:00'),
            mostDistalSite: 'buttock',
            side: 'left',
          }),
        ],
        newReports: [current({ reportedAt: at('2026-03-02T09:00:00Z'), ...THIGH_LEFT })],
      });

      expect(ofRules(findings, 'PERIPHERALIZATION', 'CENTRALIZING')).toMatchObject([
        {
          rule: 'PERIPHERALIZATION',
          evidence: {
            reference: {
              reportId: 'los-angeles',
              reportedAt: '2026-03-01T18:00:00.000Z',
              mostDistalSite: 'buttock',
            },
          },
        },
      ]);
    });

    it('orders reports at the same instant by context: after-session comes after before-session', () => {
      // Both are 2026-03-01T19:00:00Z.
      const findings = evaluate({
        history: [
          report({
            id: 'a-after',
            context: 'after_session',
            sessionId: 'session-0',
            reportedAt: at('2026-03-01T11:00:00-08:00'),
            ...THIGH_LEFT,
          }),
          report({
            id: 'z-before',
            context: 'before_session',
            sessionId: 'session-0',
            reportedAt: at('2026-03-02T08:00:00+13:00'),
            mostDistalSite: 'calf',
            side: 'left',
          }),
        ],
        newReports: [
          current({
            context: 'next_day',
            reportedAt: at('2026-03-02T09:00:00Z'),
            mostDistalSite: 'foot',
            side: 'left',
          }),
        ],
      });

      expect(ofRules(findings, 'PERIPHERALIZATION')).toMatchObject([
        { evidence: { reference: { reportId: 'a-after', mostDistalSite: 'thigh' } } },
      ]);
    });

    it('orders reports at the same instant and context by id', () => {
      const sameInstant = at('2026-03-02T09:00:00Z');
      const findings = evaluate({
        history: [
          report({
            id: 'report-b',
            context: 'next_day',
            reportedAt: sameInstant,
            mostDistalSite: 'calf',
            side: 'left',
          }),
          report({ id: 'report-a', context: 'next_day', reportedAt: sameInstant, ...THIGH_LEFT }),
        ],
        newReports: [current({ mostDistalSite: 'foot', side: 'left' })],
      });

      expect(ofRules(findings, 'PERIPHERALIZATION')).toMatchObject([
        { evidence: { reference: { reportId: 'report-b' } } },
      ]);
    });

    it('pairs before and after reports written at the same instant in different zones', () => {
      const findings = evaluate({
        newReports: [
          report({
            id: 'after',
            context: 'after_session',
            reportedAt: at('2026-03-01T11:00:00-08:00'),
            ...THIGH_LEFT,
            intensity: 5,
          }),
          report({
            id: 'before',
            context: 'before_session',
            reportedAt: at('2026-03-02T08:00:00+13:00'),
            ...THIGH_LEFT,
            intensity: 3,
          }),
        ],
      });

      expect(ofRules(findings, 'LEG_PAIN_WORSE')).toMatchObject([
        { reportId: 'after', evidence: { before: { reportId: 'before' }, rise: 2 } },
      ]);
    });

    it('orders the new reports by instant, whatever order they are given in', () => {
      const findings = evaluate({
        newReports: [
          afterSession({ ...THIGH_LEFT, intensity: 5 }),
          beforeSession({ ...THIGH_LEFT, intensity: 3 }),
        ],
      });

      expect(ofRules(findings, 'LEG_PAIN_WORSE').map((f) => f.reportId)).toEqual(['after']);
    });

    it('ignores a new report dated after now', () => {
      const findings = evaluate({
        patient: patient({ baselinePain: LOW_BACK_BASELINE }),
        history: [previous(THIGH_LEFT)],
        newReports: [
          report({
            id: 'future',
            reportedAt: at('2026-03-10T12:01:00Z'),
            mostDistalSite: 'foot',
            side: 'both',
            intensity: 10,
            redFlags: { fever: true, legWeakness: true, saddleNumbness: true },
          }),
        ],
      });

      expect(findings).toEqual([]);
    });

    it('evaluates a new report dated exactly now', () => {
      const findings = evaluate({
        newReports: [report({ id: 'now', reportedAt: NOW, redFlags: { fever: true } })],
      });

      expect(findings).toMatchObject([{ rule: 'RED_FLAG_SYSTEMIC', reportId: 'now' }]);
    });

    it('ignores the new reports dated after now while judging the others', () => {
      const now = at('2026-03-02T09:30:00Z');
      const findings = evaluate(
        {
          newReports: [
            beforeSession({ ...THIGH_LEFT, intensity: 3 }),
            afterSession({ ...THIGH_LEFT, intensity: 7, redFlags: { fever: true } }),
          ],
        },
        { now },
      );

      expect(findings).toEqual([]);
    });

    it('uses the default thresholds when no settings are given', () => {
      const findings = evaluatePainRules(
        ruleInput({
          newReports: [
            beforeSession({ ...THIGH_LEFT, intensity: 3 }),
            afterSession({ ...THIGH_LEFT, intensity: 5 }),
          ],
        }),
        undefined,
        NOW,
      );

      expect(ofRules(findings, 'LEG_PAIN_WORSE')).toMatchObject([{ evidence: { threshold: 2 } }]);
    });
  });
});
