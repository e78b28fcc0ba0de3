import { DoseKind, EXERCISE_FAMILIES, ExerciseFamily } from '@app/domain';
import { ApiProperty } from '@nestjs/swagger';

export class ExerciseDto {
  @ApiProperty({ example: 'prone_press_up' }) code: string;
  @ApiProperty({ example: 'Press-up on elbows (prone extension)' }) name: string;
  @ApiProperty({ enum: EXERCISE_FAMILIES }) family: ExerciseFamily;
  @ApiProperty({ enum: ['hold', 'reps', 'duration', 'steps'] }) doseKind: DoseKind;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { holdSeconds: 5, holdGoalSeconds: 30, reps: 10, timesPerDay: 8 },
    description: 'The dose a program gets when it names the exercise without one',
  })
  defaultDose: Record<string, number>;
  @ApiProperty() progression: string;
  @ApiProperty() instructions: string;
}
