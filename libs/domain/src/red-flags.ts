/** Yes/no screening answers that can come with a pain report (clinical-rules §2). */
export const RED_FLAG_QUESTIONS = [
  'saddleNumbness',
  'bladderBowelChange',
  'bothLegs',
  'legWeakness',
  'fever',
  'weightLoss',
  'nightPain',
] as const;
export type RedFlagQuestion = (typeof RED_FLAG_QUESTIONS)[number];
export type RedFlagAnswers = Partial<Record<RedFlagQuestion, boolean>>;
