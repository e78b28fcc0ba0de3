import { addDays, type LocalDay } from '@app/domain';
import { validationProblem } from '../common/problem';

export const DEFAULT_RANGE_DAYS = 28;
export const MAX_RANGE_DAYS = 366;

/**
 * `from`..`to` with the defaults filled in: `to` is `today` unless given, `from` 27 days
 * before `to`. Refuses (422) a reversed range, one longer than MAX_RANGE_DAYS, and with
 * `latest`, a `to` after it.
 */
export function resolveRange(
  query: { from?: string; to?: string },
  today: LocalDay,
  latest?: LocalDay,
): { from: LocalDay; to: LocalDay } {
  const to = query.to ?? today;
  const from = query.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (latest !== undefined && to > latest) {
    throw validationProblem([
      { field: 'to', message: `must not be after the patient’s today (${latest})` },
    ]);
  }
  if (from > to) throw validationProblem([{ field: 'from', message: 'must not be after to' }]);
  if (addDays(from, MAX_RANGE_DAYS - 1) < to) {
    throw validationProblem([
      { field: 'to', message: `the range may cover at most ${MAX_RANGE_DAYS} days` },
    ]);
  }
  return { from, to };
}
