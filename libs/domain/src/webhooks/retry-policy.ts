/**
 * Standard Webhooks' recommended schedule, in seconds after each failed attempt: 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 10 h (about 27 hours in all). Configurable (WEBHOOK_RETRY_SCHEDULE).
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [
  5, 300, 1800, 7200, 18_000, 36_000, 36_000,
];
/** Added on top of each scheduled delay, as a share of it, so that failed receivers are not hit in step. */
export const RETRY_JITTER = 0.2;
/** The longest Retry-After honoured; beyond it the schedule's own pace would be abandoned. */
export const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/** What one attempt came to. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; retryAfterMs?: number | null }
  | { kind: 'error'; error: string };

export type DeliveryStep =
  | { kind: 'delivered' }
  | { kind: 'retry'; delayMs: number }
  /** Attempts exhausted: the delivery goes to the dead letter. */
  | { kind: 'dead'; reason: string }
  /** 410 Gone: the receiver asks never to be called again. */
  | { kind: 'disable_endpoint' };

/**
 * What to do after attempt number `attempts` (1 for the first). Only 2xx is success. `random`
 * is in [0, 1) (a parameter, so that tests fix it).
 */
export function nextDeliveryStep(
  outcome: AttemptOutcome,
  attempts: number,
  schedule: readonly number[],
  random: number,
): DeliveryStep {
  if (outcome.kind === 'response') {
    if (outcome.status >= 200 && outcome.status < 300) return { kind: 'delivered' };
    if (outcome.status === 410) return { kind: 'disable_endpoint' };
  }
  const retriesDone = attempts - 1;
  if (retriesDone >= schedule.length) {
    return {
      kind: 'dead',
      reason: `no 2xx after ${attempts} attempts (${describeOutcome(outcome)})`,
    };
  }
  const scheduled = schedule[retriesDone] * 1000 * (1 + RETRY_JITTER * random);
  const retryAfter =
    outcome.kind === 'response' && outcome.status === 429 && outcome.retryAfterMs
      ? Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS)
      : 0;
  return { kind: 'retry', delayMs: Math.round(Math.max(scheduled, retryAfter)) };
}

export function describeOutcome(outcome: AttemptOutcome): string {
  return outcome.kind === 'response' ? `HTTP ${outcome.status}` : outcome.error;
}

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined | null, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
