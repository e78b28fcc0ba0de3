import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsCalendarDate } from '../common/validators';

export const MAX_PROGRAM_ITEMS = 30;

export class ProgramItemInputDto {
  @ApiProperty({ example: 'prone_press_up', description: 'A code of GET /v1/exercises' })
  @IsString()
  @Length(1, 64)
  exerciseCode: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  sets?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 50 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  reps?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 50,
    description: 'Repetitions to work up to',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  repsGoal?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 600,
    description: 'Seconds each repetition is held',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600)
  holdSeconds?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 600,
    description: 'Hold to work up to (for example 30 s)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600)
  holdGoalSeconds?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 240 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(240)
  durationMinutes?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 12,
    description: 'For daily exercises (press-ups: about every 2 hours)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(12)
  timesPerDay?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 7,
    description: 'For weekly exercises (stabilization: 2–3)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(7)
  daysPerWeek?: number;
}

export class WalkingGoalDto {
  @ApiProperty({ type: 'integer', minimum: 100, maximum: 50000, example: 4000 })
  @IsInt()
  @Min(100)
  @Max(50000)
  dailySteps: number;
}

export class CreateProgramDto {
  @ApiProperty({ format: 'date', example: '2026-11-23' })
  @IsCalendarDate('next-year')
  startDate: string;

  @ApiProperty({ type: [ProgramItemInputDto], description: 'In the order the patient does them' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PROGRAM_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => ProgramItemInputDto)
  items: ProgramItemInputDto[];

  @ApiPropertyOptional({ type: WalkingGoalDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => WalkingGoalDto)
  walkingGoal?: WalkingGoalDto;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 14,
    default: 2,
    description: 'Longest rest, in days, before REST_GAP_EXCEEDED',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(14)
  restGapDays?: number;
}

export class ProgramItemDto {
  @ApiProperty({ type: 'integer', description: 'From 0, in the order the patient does them' })
  position: number;
  @ApiProperty() exerciseCode: string;
  @ApiProperty({ nullable: true, type: 'integer' }) sets: number | null;
  @ApiProperty({ nullable: true, type: 'integer' }) reps: number | null;
  @ApiProperty({ nullable: true, type: 'integer' }) repsGoal: number | null;
  @ApiProperty({ nullable: true, type: 'integer' }) holdSeconds: number | null;
  @ApiProperty({ nullable: true, type: 'integer' }) holdGoalSeconds: number | null;
  @ApiProperty({ nullable: true, type: 'integer' }) durationMinutes: number | null;
  @ApiProperty({ nullable: true, type: 'integer' }) timesPerDay: number | null;
  @ApiProperty({ nullable: true, type: 'integer' }) daysPerWeek: number | null;
}

export class ProgramDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty({ type: 'integer', description: '1 for the first program, then one more each time' })
  version: number;
  @ApiProperty({ enum: ['active', 'paused', 'suspended', 'completed'] }) status: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why the status last changed (a rule id, `resumed`, `superseded`)',
  })
  statusReason: string | null;
  @ApiProperty() statusChangedAt: Date;
  @ApiProperty({ format: 'date' }) startDate: string;
  @ApiProperty({ type: [ProgramItemDto] }) items: ProgramItemDto[];
  @ApiProperty({ type: WalkingGoalDto, nullable: true }) walkingGoal: WalkingGoalDto | null;
  @ApiProperty({ type: 'integer' }) restGapDays: number;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) supersedesProgramId: string | null;
  @ApiProperty() createdAt: Date;
}
