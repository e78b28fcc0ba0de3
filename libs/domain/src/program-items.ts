import type { DoseKind } from './exercises';

export interface ProgramItemInput {
  readonly exerciseCode: string;
  readonly sets?: number;
  readonly reps?: number;
  readonly repsGoal?: number;
  readonly holdSeconds?: number;
  readonly holdGoalSeconds?: number;
  readonly durationMinutes?: number;
  readonly timesPerDay?: number;
  readonly daysPerWeek?: number;
}

export interface CatalogEntry {
  readonly code: string;
  readonly doseKind: DoseKind;
  readonly defaultDose: Readonly<Record<string, number>>;
}

export interface ResolvedProgramItem {
  position: number;
  exerciseCode: string;
  sets: number | null;
  reps: number | null;
  repsGoal: number | null;
  holdSeconds: number | null;
  holdGoalSeconds: number | null;
  durationMinutes: number | null;
  timesPerDay: number | null;
  daysPerWeek: number | null;
}

export interface ItemProblem {
  field: string;
  message: string;
}

type DoseField =
  'sets' | 'reps' | 'repsGoal' | 'holdSeconds' | 'holdGoalSeconds' | 'durationMinutes';

/**
 * Checks a prescription's items against the catalog and fills each missing dose from the
 * exercise's default. Problems name the item (`items[2].holdSeconds`).
 */
export function resolveProgramItems(
  items: readonly ProgramItemInput[],
  catalog: ReadonlyMap<string, CatalogEntry>,
): { items: ResolvedProgramItem[]; problems: ItemProblem[] } {
  const problems: ItemProblem[] = [];
  const resolved: ResolvedProgramItem[] = [];
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const at = (field: string) => `items[${i}].${field}`;
    const entry = catalog.get(item.exerciseCode);
    if (!entry) {
      problems.push({
        field: at('exerciseCode'),
        message: `${item.exerciseCode} is not in the exercise catalog`,
      });
      return;
    }
    if (seen.has(item.exerciseCode)) {
      problems.push({
        field: at('exerciseCode'),
        message: `${item.exerciseCode} appears more than once`,
      });
    }
    seen.add(item.exerciseCode);
    if (item.timesPerDay !== undefined && item.daysPerWeek !== undefined) {
      problems.push({
        field: at('daysPerWeek'),
        message: 'give timesPerDay or daysPerWeek, not both',
      });
    }
    if (entry.doseKind !== 'hold') {
      for (const field of ['holdSeconds', 'holdGoalSeconds'] as const) {
        if (item[field] !== undefined) {
          problems.push({
            field: at(field),
            message: `does not apply to ${item.exerciseCode}, which is not held`,
          });
        }
      }
    }
    const dose = (field: DoseField): number | null =>
      item[field] ?? entry.defaultDose[field] ?? null;
    const frequencyGiven = item.timesPerDay !== undefined || item.daysPerWeek !== undefined;
    const result: ResolvedProgramItem = {
      position: i + 1,
      exerciseCode: item.exerciseCode,
      sets: dose('sets'),
      reps: dose('reps'),
      repsGoal: dose('repsGoal'),
      holdSeconds: entry.doseKind === 'hold' ? dose('holdSeconds') : null,
      holdGoalSeconds: entry.doseKind === 'hold' ? dose('holdGoalSeconds') : null,
      durationMinutes: dose('durationMinutes'),
      timesPerDay: frequencyGiven
        ? (item.timesPerDay ?? null)
        : (entry.defaultDose.timesPerDay ?? null),
      daysPerWeek: frequencyGiven
        ? (item.daysPerWeek ?? null)
        : (entry.defaultDose.daysPerWeek ?? null),
    };
    if (
      result.holdGoalSeconds !== null &&
      result.holdSeconds !== null &&
      result.holdGoalSeconds < result.holdSeconds
    ) {
      problems.push({
        field: at('holdGoalSeconds'),
        message: `must be at least holdSeconds (${result.holdSeconds})`,
      });
    }
    if (result.repsGoal !== null && result.reps !== null && result.repsGoal < result.reps) {
      problems.push({ field: at('repsGoal'), message: `must be at least reps (${result.reps})` });
    }
    resolved.push(result);
  });
  return { items: resolved, problems };
}
