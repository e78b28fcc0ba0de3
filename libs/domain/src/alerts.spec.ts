import { canTransition, decideAlert, worstSeverity } from './alerts';

describe('decideAlert (one open alert per patient and rule)', () => {
  it.each([
    [null, 'warning', { kind: 'open', severity: 'warning' }],
    [null, 'urgent', { kind: 'open', severity: 'urgent' }],
    ['warning', 'urgent', { kind: 'escalate', severity: 'urgent' }],
    ['warning', 'warning', { kind: 'attach' }],
    ['urgent', 'urgent', { kind: 'attach' }],
    ['urgent', 'warning', { kind: 'attach' }],
  ] as const)('open %s, new finding %s → %o', (open, severity, expected) => {
    expect(decideAlert(open ? { severity: open } : null, { severity })).toEqual(expected);
  });

  it('takes the worst severity of one write', () => {
    expect(worstSeverity(['warning', 'urgent', 'warning'])).toBe('urgent');
    expect(worstSeverity(['warning'])).toBe('warning');
  });
});

describe('canTransition', () => {
  it.each([
    ['open', 'acknowledged', true],
    ['open', 'resolved', true],
    ['acknowledged', 'resolved', true],
    ['acknowledged', 'acknowledged', false],
    ['resolved', 'acknowledged', false],
    ['resolved', 'resolved', false],
  ] as const)('%s → %s: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });
});
