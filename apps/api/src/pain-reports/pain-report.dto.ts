import {
  ACTIONS,
  Action,
  PAIN_CONTEXTS,
  PAIN_SIDES,
  PAIN_SITES,
  PainContext,
  PainSide,
  PainSite,
  RULE_IDS,
  RuleId,
  SEVERITIES,
  Severity,
} from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { PainDto } from '../common/pain.dto';
import { IsInstantWithOffset } from '../common/validators';

export { PainDto };

export class RedFlagsDto {
  @ApiPropertyOptional({ description: 'Numbness around the saddle area or genitals' })
  @IsOptional()
  @IsBoolean()
  saddleNumbness?: boolean;
  @ApiPropertyOptional({ description: 'New difficulty controlling bladder or bowel' })
  @IsOptional()
  @IsBoolean()
  bladderBowelChange?: boolean;
  @ApiPropertyOptional({ description: 'Symptoms in both legs' })
  @IsOptional()
  @IsBoolean()
  bothLegs?: boolean;
  @ApiPropertyOptional({ description: 'New or worsening leg weakness or foot drop' })
  @IsOptional()
  @IsBoolean()
  legWeakness?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() fever?: boolean;
  @ApiPropertyOptional({ description: 'Unexplained weight loss' })
  @IsOptional()
  @IsBoolean()
  weightLoss?: boolean;
  @ApiPropertyOptional({ description: 'Constant pain at night' })
  @IsOptional()
  @IsBoolean()
  nightPain?: boolean;
}

export class CreatePainReportDto extends PainDto {
  @ApiProperty({
    example: 'app-7f3c-report-0042',
    description: 'The app’s own id for the report; unique per patient',
  })
  @IsString()
  @Length(1, 200)
  clientRef: string;

  @ApiProperty({
    example: '2026-11-22T08:30:00+13:00',
    description: 'When the pain was felt, with its offset',
  })
  @IsInstantWithOffset()
  reportedAt: string;

  @ApiProperty({ enum: PAIN_CONTEXTS })
  @IsIn(PAIN_CONTEXTS)
  context: PainContext;

  @ApiPropertyOptional({ type: RedFlagsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RedFlagsDto)
  redFlags?: RedFlagsDto;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 100,
    description: 'Oswestry Disability Index',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  odi?: number;
}

export class FindingDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: RULE_IDS }) rule: RuleId;
  @ApiProperty({ enum: SEVERITIES }) severity: Severity;
  @ApiProperty({ enum: ACTIONS, description: 'What the app should tell the patient to do now' })
  action: Action;
  @ApiProperty({ description: 'A sentence the app can show the patient' }) message: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The reports and values that triggered the rule',
  })
  evidence: Record<string, unknown>;
  @ApiProperty({ format: 'uuid' }) painReportId: string;
}

export class ProgramStatusDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['active', 'paused', 'suspended', 'completed'] }) status: string;
  @ApiProperty({ nullable: true, type: String }) statusReason: string | null;
}

export class PainReportDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, type: String }) clientRef: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) sessionId: string | null;
  @ApiProperty() reportedAt: Date;
  @ApiProperty({ format: 'date', description: 'The patient’s local day' }) localDate: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10 }) intensity: number;
  @ApiProperty({ enum: PAIN_SITES }) mostDistalSite: PainSite;
  @ApiProperty({ enum: PAIN_SIDES, nullable: true }) side: PainSide | null;
  @ApiProperty({ enum: PAIN_CONTEXTS }) context: PainContext;
  @ApiProperty({ type: RedFlagsDto, nullable: true }) redFlags: RedFlagsDto | null;
  @ApiProperty({ nullable: true, type: 'integer' }) odi: number | null;
  @ApiProperty() createdAt: Date;
}

export class PainReportResultDto extends PainReportDto {
  @ApiProperty({
    type: [FindingDto],
    description: 'What the rules concluded from this report, at once',
  })
  findings: FindingDto[];
  @ApiProperty({
    type: ProgramStatusDto,
    nullable: true,
    description: 'The current program after the rules ran',
  })
  program: ProgramStatusDto | null;
}
