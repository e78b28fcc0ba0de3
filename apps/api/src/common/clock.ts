import { CLOCK_SKEW_MS, readInstant } from '@app/domain';
import { validationProblem } from './problem';

export { Clock } from '@app/config';

const EARLIEST = Date.parse('2000-01-01T00:00:00Z');

/** Refuses a time in the future (beyond the skew allowance) or absurdly far in the past. */
export function assertPlausibleInstant(field: string, value: string, now: Date): Date {
  const instant = readInstant(value);
  if (typeof instant === 'string') throw validationProblem([{ field, message: instant }]);
  if (instant.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw validationProblem([{ field, message: 'is in the future' }]);
  }
  if (instant.getTime() < EARLIEST) {
    throw validationProblem([{ field, message: 'is before the year 2000' }]);
  }
  return instant;
}
