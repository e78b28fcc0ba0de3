import type { Severity } from './rules';

/** Findings that notify a clinician (clinical-rules §3). `info` is for review, `positive` is good news. */
export type AlertSeverity = Extract<Severity, 'warning' | 'urgent'>;
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

const RANK: Readonly<Record<AlertSeverity, number>> = { warning: 1, urgent: 2 };

export function isAlertSeverity(severity: Severity): severity is AlertSeverity {
  return severity === 'warning' || severity === 'urgent';
}

export type AlertDecision =
  /** No open alert for this rule: open one (event `alert.created`). */
  | { kind: 'open'; severity: AlertSeverity }
  /** An open alert of a lower severity: raise it (event `alert.escalated`). */
  | { kind: 'escalate'; severity: AlertSeverity }
  /** The open alert already says as much: record the finding on it, tell no one again. */
  | { kind: 'attach' };

/**
 * clinical-rules §3: one open alert per patient and rule until a clinician acknowledges or
 * resolves it; a worse finding escalates the open alert instead of opening a second one. "Worse"
 * is a higher severity (RED_FLAG_SYSTEMIC: weight loss is a warning, fever is urgent).
 */
export function decideAlert(
  open: { severity: AlertSeverity } | null,
  finding: { severity: AlertSeverity },
): AlertDecision {
  if (!open) return { kind: 'open', severity: finding.severity };
  if (RANK[finding.severity] > RANK[open.severity])
    return { kind: 'escalate', severity: finding.severity };
  return { kind: 'attach' };
}

/** The most severe of several findings of one rule (one write may conclude a rule twice). */
export function worstSeverity(severities: readonly AlertSeverity[]): AlertSeverity {
  return severities.some((s) => s === 'urgent') ? 'urgent' : 'warning';
}

/** Who may move an alert where: acknowledging is optional, resolving is final. */
export function canTransition(from: AlertStatus, to: 'acknowledged' | 'resolved'): boolean {
  if (to === 'acknowledged') return from === 'open';
  return from === 'open' || from === 'acknowledged';
}
