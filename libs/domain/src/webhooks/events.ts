/** Event types a webhook endpoint may subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'alert.created',
  'alert.escalated',
  'worklist.escalated',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * The body of an alert event (api-contract "Alerts"): ids only, so a receiver fetches the
 * details with its own key and nothing clinical travels outside the API.
 */
export interface AlertEventBody {
  type: 'alert.created' | 'alert.escalated';
  timestamp: string;
  data: { alertId: string; patientId: string; rule: string; severity: string };
}

/**
 * A patient entered the worklist's urgent band (docs/worklist.md): ids and the reasons' kinds
 * only, like the alert events.
 */
export interface WorklistEventBody {
  type: 'worklist.escalated';
  timestamp: string;
  data: { patientId: string; band: 'urgent'; score: number; reasons: string[] };
}

/** Any event the outbox holds. */
export type WebhookEventBody = AlertEventBody | WorklistEventBody;

/**
 * The body delivered for an event, its fields in the contract's order: the same bytes on every
 * attempt and replay, and nothing the event type does not define.
 */
export function webhookBody(event: WebhookEventBody): string {
  if (event.type === 'worklist.escalated') {
    const d = event.data;
    return JSON.stringify({
      type: event.type,
      timestamp: event.timestamp,
      data: { patientId: d.patientId, band: d.band, score: d.score, reasons: d.reasons },
    });
  }
  const d = event.data;
  return JSON.stringify({
    type: event.type,
    timestamp: event.timestamp,
    data: { alertId: d.alertId, patientId: d.patientId, rule: d.rule, severity: d.severity },
  });
}
