import {
  AlertSeverity,
  decideAlert,
  isAlertSeverity,
  worstSeverity,
  type RuleId,
  type WebhookEventType,
} from '@app/domain';
import { OutboxRepository, RuleFinding, type Tx } from '@app/persistence';
import type { EntityManager } from 'typeorm';

export interface RaisedAlert {
  alertId: string;
  event: WebhookEventType;
}

/**
 * Turns the warning and urgent findings of one write into alerts (clinical-rules §3), with an
 * outbox event for each alert opened or escalated, in the caller's transaction: the record, its
 * findings, the alert and the event commit together or not at all. The caller holds the
 * patient's row lock, so one patient's alerts are decided by one write at a time.
 */
export async function raiseAlerts(
  m: EntityManager,
  findings: readonly RuleFinding[],
  now: Date,
): Promise<RaisedAlert[]> {
  const byRule = new Map<RuleId, RuleFinding[]>();
  for (const f of findings) {
    if (!isAlertSeverity(f.severity)) continue;
    byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
  }
  const raised: RaisedAlert[] = [];
  for (const [rule, ofRule] of byRule) {
    const { organizationId, patientId } = ofRule[0];
    const severity = worstSeverity(ofRule.map((f) => f.severity as AlertSeverity));
    // The finding named on the alert is the worst one, the newest among equals.
    const finding = [...ofRule].reverse().find((f) => f.severity === severity)!;
    const [open] = await m.query<{ id: string; severity: AlertSeverity }[]>(
      `SELECT id, severity FROM alerts
       WHERE organization_id = $1 AND patient_id = $2 AND rule = $3 AND status = 'open'
       FOR UPDATE`,
      [organizationId, patientId, rule],
    );
    const decision = decideAlert(open ?? null, { severity });
    let alertId: string;
    switch (decision.kind) {
      case 'open': {
        [{ id: alertId }] = await m.query<{ id: string }[]>(
          `INSERT INTO alerts (organization_id, patient_id, rule, severity, finding_id, last_finding_id, finding_count, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $7) RETURNING id`,
          [organizationId, patientId, rule, decision.severity, finding.id, ofRule.length, now],
        );
        break;
      }
      case 'escalate':
      case 'attach': {
        alertId = open.id;
        const escalate = decision.kind === 'escalate';
        await m.query(
          `UPDATE alerts SET last_finding_id = $2, finding_count = finding_count + $3, updated_at = $4,
             severity = CASE WHEN $5 THEN $6 ELSE severity END,
             escalation_count = escalation_count + CASE WHEN $5 THEN 1 ELSE 0 END,
             escalated_at = CASE WHEN $5 THEN $4 ELSE escalated_at END
           WHERE id = $1`,
          [alertId, finding.id, ofRule.length, now, escalate, severity],
        );
        break;
      }
    }
    if (decision.kind === 'attach') continue;
    const event: WebhookEventType = decision.kind === 'open' ? 'alert.created' : 'alert.escalated';
    await OutboxRepository.write(m as Tx, organizationId, {
      type: event,
      timestamp: now.toISOString(),
      data: { alertId, patientId, rule, severity: decision.severity },
    });
    raised.push({ alertId, event });
  }
  return raised;
}
