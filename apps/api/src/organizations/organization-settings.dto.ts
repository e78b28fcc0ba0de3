import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { RTM_DATA_DAY_KINDS, type RtmDataDayKind } from '@app/domain';

/** Overrides of the thresholds clinical-rules marks configurable; absent fields keep the default. */
export class RuleSettingsOverridesDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 10,
    default: 2,
    description: 'LEG_PAIN_WORSE: NPRS rise after a session',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  legPainWorseDelta?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 10,
    default: 2,
    description: 'PERSISTENT_FLARE: NPRS rise after the session and the next day',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  flareDelta?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 48, default: 12 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(48)
  flareNextDayMinHours?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 72, default: 36 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(72)
  flareNextDayMaxHours?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 10,
    default: 2,
    description: 'PAIN_TREND_WORSE: mean above baseline',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  painTrendDelta?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 30, default: 7 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(30)
  painTrendWindowDays?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 24, default: 4 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(24)
  persistentSymptomsMonths?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 30 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  persistentImprovementPercent?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 100,
    default: 50,
    description:
      'Active day (adherence, REST_GAP_EXCEEDED): steps at or above this % of the walking goal',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  activeDayStepPercent?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 50,
    default: 10,
    description: 'WALKING_GOAL_PROGRESSION: the goal increase suggested, in %',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  walkingIncreasePercent?: number;
}

/** Remote therapeutic monitoring (docs/rtm.md). */
export class RtmSettingsDto {
  @ApiProperty({
    enum: RTM_DATA_DAY_KINDS,
    default: 'any',
    description:
      'What makes a data day for the device-supply codes: any record or sample, or exercise sessions only',
  })
  @IsIn(RTM_DATA_DAY_KINDS)
  dataDay: RtmDataDayKind;
}

/** How long raw data is kept (docs/scaling.md). */
export class RetentionSettingsDto {
  @ApiProperty({
    type: 'integer',
    nullable: true,
    minimum: 30,
    maximum: 36500,
    description:
      'Raw activity samples older than this many days are deleted and their days no longer ' +
      'recomputed; the daily figures stay. null keeps every sample.',
  })
  @IsOptional()
  @IsInt()
  @Min(30)
  @Max(36500)
  rawSampleDays: number | null;
}

export class UpdateOrganizationSettingsDto {
  @ApiProperty({
    type: RuleSettingsOverridesDto,
    description: 'Replaces the organization’s rule overrides',
  })
  @ValidateNested()
  @Type(() => RuleSettingsOverridesDto)
  rules: RuleSettingsOverridesDto;

  @ApiPropertyOptional({ type: RtmSettingsDto, description: 'Kept as it is when absent' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RtmSettingsDto)
  rtm?: RtmSettingsDto;

  @ApiPropertyOptional({ type: RetentionSettingsDto, description: 'Kept as it is when absent' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RetentionSettingsDto)
  retention?: RetentionSettingsDto;
}

export class OrganizationSettingsDto {
  @ApiProperty({ type: RuleSettingsOverridesDto, description: 'The organization’s overrides' })
  overrides: RuleSettingsOverridesDto;

  @ApiProperty({
    type: RuleSettingsOverridesDto,
    description: 'The thresholds in force: defaults with the overrides applied',
  })
  rules: Required<RuleSettingsOverridesDto>;

  @ApiProperty({ type: RtmSettingsDto }) rtm: RtmSettingsDto;

  @ApiProperty({ type: RetentionSettingsDto }) retention: RetentionSettingsDto;
}
