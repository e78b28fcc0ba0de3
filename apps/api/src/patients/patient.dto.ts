import type { StartBackStratum } from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, IsString, IsUUID, Length, ValidateNested } from 'class-validator';
import { PainDto } from '../common/pain.dto';
import { IsCalendarDate, IsTimeZone } from '../common/validators';

/** The pain recorded at enrolment, at rest: the baseline the rules compare with. */
export class BaselinePainDto extends PainDto {}

export class CreatePatientDto {
  @ApiProperty({
    example: 'MRN-000123',
    description: 'The clinic’s own reference; unique in the organization',
  })
  @IsString()
  @Length(1, 200)
  externalRef: string;

  @ApiProperty({
    example: 'Europe/London',
    description: 'IANA time zone: the patient’s days are counted in it',
  })
  @IsTimeZone()
  timezone: string;

  @ApiProperty({ format: 'uuid', description: 'The clinician responsible for the patient' })
  @IsUUID()
  clinicianId: string;

  @ApiPropertyOptional({ example: '2026-10-01', format: 'date' })
  @IsOptional()
  @IsCalendarDate('today')
  symptomOnsetDate?: string;

  @ApiPropertyOptional({ example: 'lumbar_disc_herniation', default: 'lumbar_disc_herniation' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  condition?: string;

  @ApiPropertyOptional({ type: BaselinePainDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => BaselinePainDto)
  baselinePain?: BaselinePainDto;
}

export class UpdatePatientDto {
  @ApiPropertyOptional({ example: 'America/New_York' })
  @IsOptional()
  @IsTimeZone()
  timezone?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  clinicianId?: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsCalendarDate('today')
  symptomOnsetDate?: string;

  @ApiPropertyOptional({ type: BaselinePainDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => BaselinePainDto)
  baselinePain?: BaselinePainDto;
}

export class PatientDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() externalRef: string;
  @ApiProperty() timezone: string;
  @ApiProperty({ format: 'uuid' }) clinicianId: string;
  @ApiProperty({ format: 'date', nullable: true, type: String }) symptomOnsetDate: string | null;
  @ApiProperty() condition: string;
  @ApiProperty({ type: BaselinePainDto, nullable: true }) baselinePain: BaselinePainDto | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class StartBackResultDto {
  @ApiProperty({ format: 'uuid' }) questionnaireId: string;
  @ApiProperty() completedAt: Date;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 9 }) total: number;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 5, description: 'Items 5–9' })
  psychosocial: number;
  @ApiProperty({ enum: ['low', 'medium', 'high'] }) stratum: StartBackStratum;
}

export class PatientDetailDto extends PatientDto {
  @ApiProperty({
    type: StartBackResultDto,
    nullable: true,
    description: 'The current STarT Back risk stratum: from the screening completed last',
  })
  startBack: StartBackResultDto | null;
}

export class CreateEnrollmentDto {
  @ApiProperty({ format: 'uuid', description: 'The client app the patient consents to' })
  @IsUUID()
  clientAppId: string;
}

export class EnrollmentDto {
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty({ format: 'uuid' }) clientAppId: string;
  @ApiProperty() consentedAt: Date;
  @ApiProperty({ nullable: true, type: Date }) revokedAt: Date | null;
}
