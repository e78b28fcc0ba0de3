import { WORKLIST_BANDS, type WorklistBand, type WorklistReason } from '@app/domain';
import { WorklistRepository } from '@app/persistence';
import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { type Page, PageQueryDto, pageRequest } from '../common/pagination';
import { ApiProblem } from '../common/openapi';
import { validationProblem } from '../common/problem';

export class WorklistQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'An admin may list one clinician’s patients; a clinician always lists its own',
  })
  @IsOptional()
  @IsUUID()
  clinicianId?: string;
}

export class WorklistEntryDto {
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty() externalRef: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) clinicianId: string | null;
  @ApiProperty({ enum: WORKLIST_BANDS }) band: WorklistBand;
  @ApiProperty({ description: 'Higher first within a band (docs/worklist.md)' }) score: number;
  @ApiProperty({
    type: 'array',
    items: {
      type: 'object',
      required: ['kind', 'since', 'detail'],
      properties: {
        kind: {
          type: 'string',
          enum: [
            'urgent_alert',
            'warning_alert',
            'program_on_hold',
            'data_gap',
            'rtm_at_risk',
            'no_review',
            'startback',
          ],
        },
        since: {
          type: 'string',
          nullable: true,
          description:
            'An instant, or a local day for data_gap; null where the reason has no start',
        },
        detail: {
          type: 'object',
          additionalProperties: true,
          description:
            'By kind: the alert’s rule and severity, the program’s status, the days of a gap or without review, the STarT Back stratum, the RTM code and text',
        },
      },
    },
    description:
      'Why, most pressing first: urgent_alert (oldest first), warning_alert, program_on_hold, data_gap, rtm_at_risk, no_review, startback (docs/worklist.md)',
  })
  reasons: WorklistReason[];
  @ApiProperty({ description: 'When the worker last updated the entry' }) computedAt: Date;
}

export class WorklistPageDto {
  @ApiProperty({ type: [WorklistEntryDto] }) data: WorklistEntryDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

@ApiTags('Remote monitoring')
@Controller('v1/worklist')
export class WorklistController {
  constructor(private readonly worklist: WorklistRepository) {}

  @Get()
  @Access(['admin', 'clinician'], 'care:read')
  @Audited('worklist.read', 'none')
  @ApiOperation({
    summary:
      'Patients ranked by who needs attention first, with the reasons (a clinician’s own; an admin’s whole organization)',
  })
  @ApiOkResponse({ type: WorklistPageDto, description: 'The entries, who needs attention first' })
  @ApiProblem(400, 'The cursor is not one this API returned')
  async list(
    @CurrentCaller() caller: Caller,
    @Query() query: WorklistQueryDto,
  ): Promise<Page<WorklistEntryDto>> {
    if (
      caller.role === 'clinician' &&
      query.clinicianId &&
      query.clinicianId !== caller.clinicianId
    ) {
      throw validationProblem([
        { field: 'clinicianId', message: 'a clinician key lists its own patients only' },
      ]);
    }
    const page = pageRequest(query);
    // A cursor this API did not write is a 400 (the problem filter's InvalidCursorError).
    return this.worklist.page(caller, query.clinicianId ?? null, page.limit, page.cursor);
  }
}
