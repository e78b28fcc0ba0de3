/** Families of the exercise catalog (clinical-rules §1). */
export const EXERCISE_FAMILIES = [
  'extension',
  'strengthening_back',
  'strengthening_abdominal',
  'strengthening_gluteal',
  'stabilization',
  'stretching',
  'aerobic',
] as const;
export type ExerciseFamily = (typeof EXERCISE_FAMILIES)[number];

/** How an exercise is dosed: held positions, counted repetitions, minutes, or steps. */
export type DoseKind = 'hold' | 'reps' | 'duration' | 'steps';

export function isStrengtheningFamily(family: ExerciseFamily): boolean {
  return family.startsWith('strengthening');
}
