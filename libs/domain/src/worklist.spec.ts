import fc from 'fast-check';
import type { RtmLedger, RtmShortfall } from './rtm/types';
import {
  compareWorklist,
  rtmCodesMet,
  WORKLIST_REVIEW_DAYS,
  WORKLIST_WEIGHTS,
  worklistEntry,
  type WorklistInput,
  worklistRtmRisks,
} from './worklist';

const NOW = new Date('2026-12-10T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

const quiet = (overrides: Partial<WorklistInput> = {}): WorklistInput => ({
  openAlerts: [],
  programHold: null,
  dataGapSince: null,
  rtmRisks: [],
  monitored: false,
  lastReviewAt: daysAgo(1),
  enrolledAt: daysAgo(60),
  startBack: null,
  ...overrides,
});

const alert = (severity: 'warning' | 'urgent', ageDays: number, id = `${severity}-${ageDays}`) => ({
  id,
  rule: severity === 'urgent' ? 'RED_FLAG_SYSTEMIC' : 'PERIPHERALIZATION',
  severity,
  createdAt: daysAgo(ageDays),
});

const shortfall = (overrides: Partial<RtmShortfall> = {}): RtmShortfall => ({
  code: '98977',
  kind: 'data_days',
  needed: 3,
  by: '2026-12-14',
  reachable: true,
  text: 'needs 3 more data days by 2026-12-14',
  ...overrides,
});

describe('worklistEntry', () => {
  const w = WORKLIST_WEIGHTS;
  it.each<{ name: string; input: WorklistInput; band: string; score: number; kinds: string[] }>([
    { name: 'a quiet, reviewed patient', input: quiet(), band: 'routine', score: 0, kinds: [] },
    {
      name: 'an urgent alert, then a warning: urgent band, urgent reason first',
      input: quiet({ openAlerts: [alert('warning', 5), alert('urgent', 1)] }),
      band: 'urgent',
      score: w.urgentAlert + w.warningAlert,
      kinds: ['urgent_alert', 'warning_alert'],
    },
    {
      name: 'a warning alone: attention',
      input: quiet({ openAlerts: [alert('warning', 2)] }),
      band: 'attention',
      score: w.warningAlert,
      kinds: ['warning_alert'],
    },
    {
      name: 'a program on hold without an open alert: attention',
      input: quiet({
        programHold: {
          programId: 'p',
          status: 'suspended',
          reason: 'PERSISTENT_FLARE',
          since: daysAgo(2),
        },
      }),
      band: 'attention',
      score: w.programOnHold,
      kinds: ['program_on_hold'],
    },
    {
      name: 'a data gap',
      input: quiet({ dataGapSince: '2026-12-05' }),
      band: 'routine',
      score: w.dataGap,
      kinds: ['data_gap'],
    },
    {
      name: `reviewed ${WORKLIST_REVIEW_DAYS - 1} days ago: not yet`,
      input: quiet({ lastReviewAt: daysAgo(WORKLIST_REVIEW_DAYS - 1) }),
      band: 'routine',
      score: 0,
      kinds: [],
    },
    {
      name: `reviewed ${WORKLIST_REVIEW_DAYS} days ago: no_review`,
      input: quiet({ lastReviewAt: daysAgo(WORKLIST_REVIEW_DAYS) }),
      band: 'routine',
      score: w.noReview,
      kinds: ['no_review'],
    },
    {
      name: 'never reviewed, enrolled 3 days ago: not yet',
      input: quiet({ lastReviewAt: null, enrolledAt: daysAgo(3) }),
      band: 'routine',
      score: 0,
      kinds: [],
    },
    {
      name: 'two reachable RTM shortfalls in an open episode',
      input: quiet({
        monitored: true,
        rtmRisks: [
          shortfall(),
          shortfall({ code: '98980', kind: 'interactive_contact', needed: 1 }),
        ],
      }),
      band: 'routine',
      score: 2 * w.rtmAtRisk,
      kinds: ['rtm_at_risk', 'rtm_at_risk'],
    },
    {
      name: 'an unreachable shortfall, or a patient not monitored: nothing',
      input: quiet({ monitored: true, rtmRisks: [shortfall({ reachable: false })] }),
      band: 'routine',
      score: 0,
      kinds: [],
    },
    {
      name: 'shortfalls of an ended episode are not shown',
      input: quiet({ monitored: false, rtmRisks: [shortfall()] }),
      band: 'routine',
      score: 0,
      kinds: [],
    },
    {
      name: 'STarT Back high',
      input: quiet({ startBack: 'high' }),
      band: 'routine',
      score: w.startBackHigh,
      kinds: ['startback'],
    },
    {
      name: 'STarT Back medium',
      input: quiet({ startBack: 'medium' }),
      band: 'routine',
      score: w.startBackMedium,
      kinds: ['startback'],
    },
    {
      name: 'STarT Back low: no reason',
      input: quiet({ startBack: 'low' }),
      band: 'routine',
      score: 0,
      kinds: [],
    },
  ])('$name', ({ input, band, score, kinds }) => {
    const entry = worklistEntry(input, NOW);
    expect({
      band: entry.band,
      score: entry.score,
      kinds: entry.reasons.map((r) => r.kind),
    }).toEqual({ band, score, kinds });
  });

  it('lists urgent alerts oldest first and keeps the oldest for the tie-break', () => {
    const entry = worklistEntry(
      quiet({ openAlerts: [alert('urgent', 1, 'b'), alert('urgent', 3, 'a')] }),
      NOW,
    );
    expect(entry.reasons.map((r) => (r.detail as { alertId: string }).alertId)).toEqual(['a', 'b']);
    expect(entry.oldestUrgentAt).toEqual(daysAgo(3));
  });
});

describe('compareWorklist', () => {
  const ranked = (id: string, input: WorklistInput) => ({
    patientId: id,
    ...worklistEntry(input, NOW),
  });

  it('puts a band before the next whatever the score, then score, then the oldest urgent alert', () => {
    const rows = [
      ranked(
        'routine-busy',
        quiet({ dataGapSince: '2026-12-01', startBack: 'high', lastReviewAt: null }),
      ),
      ranked('attention', quiet({ openAlerts: [alert('warning', 1)] })),
      ranked('urgent-new', quiet({ openAlerts: [alert('urgent', 1)] })),
      ranked('urgent-old', quiet({ openAlerts: [alert('urgent', 4)] })),
      ranked('routine-quiet', quiet()),
    ];
    expect(rows.sort(compareWorklist).map((r) => r.patientId)).toEqual([
      'urgent-old',
      'urgent-new',
      'attention',
      'routine-busy',
      'routine-quiet',
    ]);
  });

  it('is a total order: the same list in any input order sorts the same (property)', () => {
    const inputArb = fc.record({
      urgent: fc.nat(2),
      warnings: fc.nat(2),
      hold: fc.boolean(),
      gap: fc.boolean(),
      age: fc.nat(20),
      risks: fc.nat(3),
      startBack: fc.constantFrom(null, 'low', 'medium', 'high'),
    });
    fc.assert(
      fc.property(fc.array(inputArb, { minLength: 1, maxLength: 12 }), fc.nat(), (inputs, seed) => {
        const rows = inputs.map((x, i) =>
          ranked(
            `p${String(i).padStart(2, '0')}`,
            quiet({
              openAlerts: [
                ...Array.from({ length: x.urgent }, (_, k) =>
                  alert('urgent', x.age + k, `u${i}${k}`),
                ),
                ...Array.from({ length: x.warnings }, (_, k) => alert('warning', k, `w${i}${k}`)),
              ],
              programHold: x.hold
                ? { programId: 'p', status: 'paused', reason: null, since: daysAgo(1) }
                : null,
              dataGapSince: x.gap ? '2026-12-01' : null,
              monitored: true,
              rtmRisks: Array.from({ length: x.risks }, () => shortfall()),
              lastReviewAt: daysAgo(x.age),
              startBack: x.startBack,
            }),
          ),
        );
        const sorted = [...rows].sort(compareWorklist).map((r) => r.patientId);
        const shuffled = [...rows]
          .map((r, i) => ({ r, k: (i * 7919 + seed) % 101 }))
          .sort((a, b) => a.k - b.k)
          .map(({ r }) => r)
          .sort(compareWorklist)
          .map((r) => r.patientId);
        expect(shuffled).toEqual(sorted);
      }),
      { seed: 20261203, numRuns: 200 },
    );
  });
});

describe('worklistRtmRisks and rtmCodesMet', () => {
  const ledger: RtmLedger = {
    month: '2026-12',
    setup: [],
    devicePeriods: [
      {
        episodeId: 'e',
        index: 0,
        from: '2026-11-10',
        to: '2026-12-09',
        dataDays: ['2026-11-10', '2026-11-11'],
        code: '98985',
        dateOfService: null,
        closed: false,
        missing: shortfall({ by: '2026-12-09' }),
      },
      {
        episodeId: 'e',
        index: 1,
        from: '2026-12-10',
        to: '2027-01-08',
        dataDays: [],
        code: null,
        dateOfService: null,
        closed: false,
        missing: shortfall({ code: '98985', needed: 2, by: '2027-01-08' }),
      },
    ],
    treatment: {
      month: '2026-12',
      minutesByClinician: [{ clinicianId: 'c', minutes: 25 }],
      totalMinutes: 25,
      interactiveContacts: [],
      codes: [],
      dateOfService: null,
      missing: [
        shortfall({ code: '98980', kind: 'interactive_contact', needed: 1, by: '2026-12-31' }),
        shortfall({ code: '98981', kind: 'minutes', needed: 15, by: '2026-12-31' }),
      ],
    },
  };

  it('keeps the running period, the interactive contact, not a further 98981 or a period to come', () => {
    expect(worklistRtmRisks(ledger, '2026-12-05').map((r) => [r.code, r.kind])).toEqual([
      ['98977', 'data_days'],
      ['98980', 'interactive_contact'],
    ]);
    expect(worklistRtmRisks(ledger, '2026-12-10').map((r) => [r.code, r.kind])).toEqual([
      ['98985', 'data_days'],
      ['98980', 'interactive_contact'],
    ]);
  });

  it('lists the codes met so far in the month', () => {
    expect(rtmCodesMet(ledger)).toEqual(['98985']);
    expect(
      rtmCodesMet({
        ...ledger,
        treatment: {
          ...ledger.treatment,
          codes: [
            { code: '98980', units: 1 },
            { code: '98981', units: 2 },
          ],
        },
      }),
    ).toEqual(['98980', '98981', '98985']);
  });
});
