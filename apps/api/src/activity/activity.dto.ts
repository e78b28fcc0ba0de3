import { IMPORT_FORMATS, ImportFormat } from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsCalendarDate } from '../common/validators';

export class ImportQueryDto {
  @ApiProperty({ enum: IMPORT_FORMATS, description: 'The format of the body' })
  @IsIn(IMPORT_FORMATS)
  format: ImportFormat;
}

export class ImportAcceptedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({
    enum: ['queued', 'completed'],
    description:
      'completed: a native batch, written at once (its days are rolled up a moment later); queued: stored, imported by the worker',
  })
  status: 'queued' | 'completed';
}

export class ImportErrorDto {
  @ApiPropertyOptional({
    type: 'integer',
    description: 'Position of the record in the payload (JSON formats), from 0',
  })
  index?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Line of the record in the payload (XML)' })
  line?: number;
  @ApiProperty({ example: 'starts in the future' }) reason: string;
}

export class ImportStatusDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty({ enum: IMPORT_FORMATS }) format: ImportFormat;
  @ApiProperty({ enum: ['queued', 'processing', 'completed', 'failed'] }) status: string;
  @ApiProperty({ type: 'integer', description: 'Records read from the payload' })
  received: number;
  @ApiProperty({ type: 'integer', description: 'Samples stored by this import' })
  inserted: number;
  @ApiProperty({
    type: 'integer',
    description: 'Records that changed nothing: already stored (a replay), or an older version',
  })
  duplicates: number;
  @ApiProperty({
    type: 'integer',
    description:
      'Records that replaced an earlier version of themselves (a re-sent Garmin epoch, an amended FHIR Observation) or withdrew one (entered-in-error)',
  })
  updated: number;
  @ApiProperty({
    type: 'integer',
    description: 'Records refused; `errors` says why (the first 1,000)',
  })
  rejected: number;
  @ApiProperty({ type: 'integer', description: 'Pain scores recorded as pain reports (FHIR)' })
  painReports: number;
  @ApiProperty({ type: [ImportErrorDto] }) errors: ImportErrorDto[];
  @ApiProperty({ nullable: true, type: String }) failureReason: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ nullable: true, type: Date }) startedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) completedAt: Date | null;
}

export class DailyQueryDto {
  @ApiPropertyOptional({
    format: 'date',
    description: 'First local day (default: 29 days before `to`)',
  })
  @IsOptional()
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({
    format: 'date',
    description: 'Last local day (default: the patient’s today)',
  })
  @IsOptional()
  @IsCalendarDate()
  to?: string;
}

export class DailySourceDto {
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) device: string | null;
  @ApiPropertyOptional({
    description: 'The account at the source, when it names one (a Garmin userId)',
  })
  account?: string;
  @ApiProperty({ type: 'integer' }) steps: number;
  @ApiProperty({ type: 'integer', description: 'Steps entered by hand' }) manualSteps: number;
}

export class DailyActivityDto {
  @ApiProperty({ format: 'date', description: 'Patient-local day' }) date: string;
  @ApiProperty({ type: 'integer', description: 'Merged across sources, without double counting' })
  steps: number;
  @ApiProperty({ type: 'integer' }) activeMinutes: number;
  @ApiProperty({ type: 'integer', description: 'Of which entered by hand' }) manualSteps: number;
  @ApiProperty({ type: [DailySourceDto], description: 'Each source’s own figure' })
  sources: DailySourceDto[];
}

export class SourceFreshnessDto {
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) device: string | null;
  @ApiPropertyOptional({
    description: 'The account at the source, when it names one (a Garmin userId)',
  })
  account?: string;
  @ApiProperty({ nullable: true, type: Date, description: 'End of the latest sample received' })
  lastSampleEnd: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: 'When the source last sent data' })
  lastImportAt: Date | null;
}

/** A wearable-cloud connection as freshness shows it: is data arriving from it at all? */
export class ConnectionFreshnessDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['google-health', 'withings'] }) provider: string;
  @ApiProperty({
    enum: ['pending', 'connected', 'error'],
    description:
      'error: the provider refused the grant; no data arrives until the patient connects again',
  })
  status: string;
  @ApiProperty({ nullable: true, type: Date, description: 'When the last pull completed' })
  lastSyncAt: Date | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why data is not arriving' })
  lastError: string | null;
}

export class SourcesDto {
  @ApiProperty({ type: [SourceFreshnessDto] }) data: SourceFreshnessDto[];
  @ApiProperty({
    type: [ConnectionFreshnessDto],
    description: 'The patient’s live connections to wearable clouds (pulled, not pushed)',
  })
  connections: ConnectionFreshnessDto[];
}
