/** Event types a webhook endpoint may subscribe to. */
export const WEBHOOK_EVENT_TYPES = ['alert.created', 'alert.escalated'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * The body of an alert event (api-contract "Alerts"): ids only, so a receiver fetches the
 * details with its own key and nothing clinical travels outside the API.
 */
export interface AlertEventBody {
  type: WebhookEventType;
  timestamp: string;
  data: { alertId: string; patientId: string; rule: string; severity: string };
}
