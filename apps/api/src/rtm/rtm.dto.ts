import type { CareTimeKind } from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { IsCalendarDate, IsInstantWithOffset } from '../common/validators';

export const CARE_TIME_KINDS: readonly CareTimeKind[] = [
  'data_review',
  'program_change',
  'call',
  'video',
  'message',
];

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export class CreateCareTimeDto {
  @ApiProperty({ example: '2026-12-02T14:05:00+01:00', description: 'When the work began' })
  @IsInstantWithOffset()
  startedAt: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 120 })
  @IsInt()
  @Min(1)
  @Max(120)
  minutes: number;

  @ApiProperty({
    description:
      'A real-time interactive communication with the patient or caregiver (a call or a video; never a message)',
  })
  @IsBoolean()
  interactive: boolean;

  @ApiProperty({ enum: CARE_TIME_KINDS })
  @IsIn(CARE_TIME_KINDS)
  kind: CareTimeKind;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Whose time it was: required from an admin key; a clinician key logs its own',
  })
  @IsOptional()
  @IsUUID()
  clinicianId?: string;
}

export class VoidCareTimeDto {
  @ApiProperty({ minLength: 1, maxLength: 500 })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason: string;
}

export class MonthQueryDto {
  @ApiProperty({ example: '2026-12', description: 'A calendar month, YYYY-MM' })
  @Matches(MONTH, { message: 'month must be YYYY-MM' })
  month: string;
}

export class CareTimeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty({ format: 'uuid' }) clinicianId: string;
  @ApiProperty() startedAt: Date;
  @ApiProperty({ format: 'date', description: 'The patient’s local day' }) localDate: string;
  @ApiProperty({ type: 'integer' }) minutes: number;
  @ApiProperty() interactive: boolean;
  @ApiProperty({ enum: CARE_TIME_KINDS }) kind: CareTimeKind;
  @ApiProperty({ nullable: true, type: String }) note: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ nullable: true, type: Date }) voidedAt: Date | null;
  @ApiProperty({ nullable: true, type: String }) voidReason: string | null;
}

export class CareTimeListDto {
  @ApiProperty() month: string;
  @ApiProperty({ type: [CareTimeDto] }) data: CareTimeDto[];
}

export class CreateEpisodeDto {
  @ApiProperty({
    format: 'date',
    example: '2026-12-01',
    description: 'The first day monitored, in the patient’s time zone (not after today)',
  })
  @IsCalendarDate('today')
  startDate: string;
}

export class EndEpisodeDto {
  @ApiPropertyOptional({
    format: 'date',
    description: 'The last day monitored (inclusive); the patient’s today when absent',
  })
  @IsOptional()
  @IsCalendarDate('today')
  endDate?: string;
}

export class EpisodeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty({ format: 'date' }) startDate: string;
  @ApiProperty({ format: 'date', nullable: true, type: String }) endDate: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ nullable: true, type: Date }) endedAt: Date | null;
}

export class EpisodeListDto {
  @ApiProperty({ type: [EpisodeDto] }) data: EpisodeDto[];
}

export class RtmLedgerDto {
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty() month: string;
  @ApiProperty({
    enum: ['any', 'exercise'],
    description: 'What made a data day (organization setting)',
  })
  dataDay: 'any' | 'exercise';
  @ApiProperty({
    description:
      'Per code (set-up, each device period, each treatment code): met or not, the evidence, and `missing`: what is still needed for the next code and by when, a list of `{ code, kind, needed, by, reachable, text }` (docs/rtm.md)',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  codes: Record<string, unknown>[];
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The ledger as computed',
  })
  ledger: Record<string, unknown>;
}

export class ClaimLineDto {
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty() externalRef: string;
  @ApiProperty() code: string;
  @ApiProperty({ type: 'integer' }) units: number;
  @ApiProperty({ format: 'date' }) dateOfService: string;
  @ApiProperty({ format: 'date' }) from: string;
  @ApiProperty({ format: 'date' }) to: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) evidence: Record<string, unknown>;
}

export class ClaimsDto {
  @ApiProperty() month: string;
  @ApiProperty({ type: [ClaimLineDto] }) data: ClaimLineDto[];
}
