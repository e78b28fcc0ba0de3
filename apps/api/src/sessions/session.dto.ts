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
import { IsInstantWithOffset } from '../common/validators';
import {
  FindingDto,
  PainDto,
  PainReportDto,
  ProgramStatusDto,
} from '../pain-reports/pain-report.dto';

export const MAX_SESSION_ITEMS = 30;

export class SessionItemDto {
  @ApiProperty({ example: 'prone_press_up' })
  @IsString()
  @Length(1, 64)
  exerciseCode: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 20 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  sets?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  reps?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 600 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600)
  holdSeconds?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 600 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600)
  durationMinutes?: number;
}

export class CreateSessionDto {
  @ApiProperty({
    example: 'app-7f3c-session-0107',
    description: 'The app’s own id for the session; unique per patient',
  })
  @IsString()
  @Length(1, 200)
  clientRef: string;

  @ApiProperty({
    example: '2026-11-22T10:05:00+01:00',
    description: 'When the session started, with its offset',
  })
  @IsInstantWithOffset()
  performedAt: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 600 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600)
  durationMinutes?: number;

  @ApiProperty({ type: [SessionItemDto], description: 'What was done, in order' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SESSION_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => SessionItemDto)
  items: SessionItemDto[];

  @ApiPropertyOptional({
    type: PainDto,
    description: 'Pain just before; stored as a before_session pain report',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PainDto)
  painBefore?: PainDto;

  @ApiPropertyOptional({
    type: PainDto,
    description: 'Pain just after; stored as an after_session pain report',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PainDto)
  painAfter?: PainDto;
}

export class SessionResultDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() clientRef: string;
  @ApiProperty() performedAt: Date;
  @ApiProperty({ format: 'date', description: 'The patient’s local day' }) localDate: string;
  @ApiProperty({ nullable: true, type: 'integer' }) durationMinutes: number | null;
  @ApiProperty({ type: [SessionItemDto] }) items: SessionItemDto[];
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'The program current when it was logged',
  })
  programId: string | null;
  @ApiProperty({ type: PainReportDto, nullable: true }) painBefore: PainReportDto | null;
  @ApiProperty({ type: PainReportDto, nullable: true }) painAfter: PainReportDto | null;
  @ApiProperty({ type: [FindingDto] }) findings: FindingDto[];
  @ApiProperty({ type: ProgramStatusDto, nullable: true }) program: ProgramStatusDto | null;
  @ApiProperty() createdAt: Date;
}
