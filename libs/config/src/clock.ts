import { Injectable } from '@nestjs/common';

/**
 * The one reader of the server's clock, injected wherever the time matters (a default "last 28
 * days", "in the future", a timestamp on an event), so that a test can fix it. Nothing else
 * calls `new Date()` or `Date.now()` (a lint rule keeps it so).
 */
@Injectable()
export class Clock {
  now(): Date {
    // eslint-disable-next-line no-restricted-syntax -- the clock provider itself
    return new Date();
  }

  nowMs(): number {
    // eslint-disable-next-line no-restricted-syntax -- the clock provider itself
    return Date.now();
  }
}

/**
 * The clock for code outside dependency injection (validation decorators, a process's first
 * and last log lines). Tests fix the time with `jest.spyOn(Clock.prototype, 'now')`.
 */
export const systemClock = new Clock();
