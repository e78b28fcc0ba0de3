import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { NamesOrganization } from '../common/validation';

@NamesOrganization()
export class AdherenceRecomputeDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Recompute only this organization’s patients; without it, every patient.',
  })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}

export const PREVIOUS_RUNS = ['none', 'completed', 'running'] as const;
export type PreviousRun = (typeof PREVIOUS_RUNS)[number];

export class AdherenceRecomputeQueuedDto {
  @ApiProperty({
    example: 'full-2026-11-22T04',
    description:
      'The full period queued, as of the top of the current UTC hour: `full-<hour>` for every ' +
      'patient, `full-<hour>-org-<organizationId>` for one organization’s. Its progress is its ' +
      'row in adherence_periods (docs/adherence.md).',
  })
  period: string;

  @ApiProperty({ format: 'uuid', type: String, nullable: true, example: null })
  organizationId: string | null;

  @ApiProperty({
    example: 'adherence-full-2026-11-22T04-requested-1763784000123',
    description: 'The id of the period’s planning job in the `adherence` queue.',
  })
  jobId: string;

  @ApiProperty({
    enum: PREVIOUS_RUNS,
    description:
      'What the period had before this call: `none`; `completed` (its plan was dropped and it ' +
      'is computed anew); `running` (it goes on, and this job adds nothing to it).',
  })
  previousRun: PreviousRun;
}
