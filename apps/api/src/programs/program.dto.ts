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

  @ApiPropertyOptional({ minimum: 1, maximum: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  sets?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 50 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  reps?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 50, description: 'Repetitions to work up to' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  repsGoal?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 600, description: 'Seconds each repetition is held' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600)
  holdSeconds?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 600,
    description: 'Hold to work up to (for example 30 s)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600)
  holdGoalSeconds?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 240 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(240)
  durationMinutes?: number;

  @ApiPropertyOptional({
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
  @ApiProperty({ minimum: 100, maximum: 50000, example: 4000 })
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
  @ApiProperty() position: number;
  @ApiProperty() exerciseCode: string;
  @ApiProperty({ nullable: true, type: Number }) sets: number | null;
  @ApiProperty({ nullable: true, type: Number }) reps: number | null;
  @ApiProperty({ nullable: true, type: Number }) repsGoal: number | null;
  @ApiProperty({ nullable: true, type: Number }) holdSeconds: number | null;
  @ApiProperty({ nullable: true, type: Number }) holdGoalSeconds: number | null;
  @ApiProperty({ nullable: true, type: Number }) durationMinutes: number | null;
  @ApiProperty({ nullable: true, type: Number }) timesPerDay: number | null;
  @ApiProperty({ nullable: true, type: Number }) daysPerWeek: number | null;
}

export class ProgramDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty() version: number;
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
  @ApiProperty() restGapDays: number;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) supersedesProgramId: string | null;
  @ApiProperty() createdAt: Date;
}
