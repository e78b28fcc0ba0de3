import { PROGRESSION_FLAGS, type ProgressionFlagId } from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsCalendarDate } from '../common/validators';

export class AdherenceQueryDto {
  @ApiPropertyOptional({
    format: 'date',
    description: 'First local day (default: 27 days before `to`, so 28 days in all)',
  })
  @IsOptional()
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({
    format: 'date',
    description: 'Last local day, at most the patient’s today (default: the patient’s today)',
  })
  @IsOptional()
  @IsCalendarDate()
  to?: string;
}

export class AdherenceDayDto {
  @ApiProperty({ format: 'date', description: 'Patient-local day' }) date: string;

  @ApiProperty({
    type: 'integer',
    description:
      'Rounds of the daily items due that day (the largest timesPerDay); 0 before the program’s start ' +
      'and on a day the program was on hold (see `onHold`). ' +
      'Weekly items (daysPerWeek) are judged per week, in `weeks`.',
  })
  prescribedSessions: number;

  @ApiProperty({ type: 'integer', description: 'Logged rounds, capped at `prescribedSessions`' })
  completedSessions: number;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'completed / prescribed (0–1); null when nothing was due',
  })
  exerciseAdherence: number | null;

  @ApiProperty({
    nullable: true,
    type: 'integer',
    description: 'Steps merged across sources; null when no device reported that day',
  })
  steps: number | null;

  @ApiProperty({
    nullable: true,
    type: Boolean,
    description:
      'Steps at or above the daily goal (a day without device data is not met); null without a walking goal or before the program’s start',
  })
  stepGoalMet: boolean | null;

  @ApiProperty({
    description: 'A logged session, or steps at or above 50 % of the walking goal',
  })
  active: boolean;

  @ApiProperty({
    description:
      'The program was paused or suspended by the rules for some or all of the day: nothing was due, ' +
      'and the day does not count in a rest gap',
  })
  onHold: boolean;

  @ApiProperty({ description: 'Any session, pain report or device data that day' })
  dataDay: boolean;
}

export class AdherenceWeekDto {
  @ApiProperty({ format: 'date', description: 'The Monday of the patient-local week' })
  weekStart: string;

  @ApiProperty({
    type: 'integer',
    description: 'Days of the week counted: from the program’s start up to `to`',
  })
  daysCounted: number;

  @ApiProperty({
    type: 'integer',
    description: 'Daily rounds due, plus daysPerWeek of each weekly item',
  })
  prescribedSessions: number;

  @ApiProperty({
    type: 'integer',
    description: 'Rounds done (each day capped) plus days each weekly item was done (capped)',
  })
  completedSessions: number;

  @ApiProperty({ nullable: true, type: Number, description: '0–1; null when nothing was due' })
  exerciseAdherence: number | null;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Days meeting the step goal / days counted; null without a walking goal',
  })
  walkingAdherence: number | null;

  @ApiProperty({ type: 'integer' }) activeDays: number;
  @ApiProperty({ type: 'integer' }) dataDays: number;
}

export class PatientAdherenceDto {
  @ApiProperty({ format: 'date' }) from: string;
  @ApiProperty({ format: 'date' }) to: string;

  @ApiProperty({
    format: 'date',
    nullable: true,
    type: String,
    description: 'Start of the current program; null (and no days or weeks) without one',
  })
  programStartDate: string | null;

  @ApiProperty({ type: [AdherenceDayDto], description: 'Every local day from `from` to `to`' })
  days: AdherenceDayDto[];

  @ApiProperty({
    type: [AdherenceWeekDto],
    description:
      'The Monday weeks that overlap the range, each over its days from the program’s start to `to` ' +
      '(the first week may begin before `from`)',
  })
  weeks: AdherenceWeekDto[];
}

export class ProgressionFlagDto {
  @ApiProperty({ enum: PROGRESSION_FLAGS }) flag: ProgressionFlagId;

  @ApiProperty({ format: 'date', description: 'First local day of the state the flag describes' })
  since: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'What triggered the flag (days, counts, the suggested dose)',
  })
  evidence: Record<string, unknown>;
}

export class PatientFlagsDto {
  @ApiProperty({ type: [ProgressionFlagDto], description: 'The flags that held on `asOf`' })
  data: ProgressionFlagDto[];

  @ApiProperty({
    format: 'date',
    nullable: true,
    type: String,
    description: 'The patient-local day the flags were evaluated for; null before the first run',
  })
  asOf: string | null;

  @ApiProperty({ nullable: true, type: Date }) computedAt: Date | null;
}
