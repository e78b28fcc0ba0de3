import {
  ALERT_STATUSES,
  RULE_IDS,
  type AlertSeverity,
  type AlertStatus,
  type RuleId,
} from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../common/pagination';

const ALERT_SEVERITIES: AlertSeverity[] = ['warning', 'urgent'];

export class AlertQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ALERT_STATUSES })
  @IsOptional()
  @IsIn(ALERT_STATUSES)
  status?: AlertStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  patientId?: string;

  @ApiPropertyOptional({ enum: ALERT_SEVERITIES })
  @IsOptional()
  @IsIn(ALERT_SEVERITIES)
  severity?: AlertSeverity;

  @ApiPropertyOptional({ enum: RULE_IDS })
  @IsOptional()
  @IsIn(RULE_IDS)
  rule?: RuleId;
}

export class AlertDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty({ enum: RULE_IDS }) rule: RuleId;
  @ApiProperty({
    enum: ALERT_SEVERITIES,
    description: 'The highest severity the alert has reached',
  })
  severity: AlertSeverity;
  @ApiProperty({ enum: ALERT_STATUSES }) status: AlertStatus;
  @ApiProperty({ format: 'uuid', description: 'The finding that opened the alert' })
  findingId: string;
  @ApiProperty({ format: 'uuid', description: 'The newest finding of this rule while it was open' })
  lastFindingId: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'What the newest finding was concluded from',
  })
  evidence: Record<string, unknown>;
  @ApiProperty({
    type: 'integer',
    description: 'Findings of this rule recorded on the alert while open',
  })
  findingCount: number;
  @ApiProperty({ type: 'integer' }) escalationCount: number;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ type: Date, nullable: true }) escalatedAt: Date | null;
  @ApiProperty({ type: Date, nullable: true }) acknowledgedAt: Date | null;
  @ApiProperty({ type: Date, nullable: true }) resolvedAt: Date | null;
  @ApiProperty() updatedAt: Date;
}
