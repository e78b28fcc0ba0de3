import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Audited } from '../audit/audited.decorator';
import { OperatorOnly } from '../auth/access.decorator';
import { ApiProblem } from '../common/openapi';
import { AdherenceRecomputeDto, AdherenceRecomputeQueuedDto } from './adherence-recompute.dto';
import { AdherenceRecomputeService } from './adherence-recompute.service';

@ApiTags('Platform operator')
@Controller('v1/admin/adherence')
@OperatorOnly()
export class AdherenceRecomputeController {
  constructor(private readonly recompute: AdherenceRecomputeService) {}

  @Post('recompute')
  @HttpCode(202)
  @Audited('adherence.recompute', 'none')
  @ApiOperation({
    summary: 'Recompute adherence and progression flags now (operator token)',
    description:
      'Queues a full period of the current UTC hour: every patient with a program, or one ' +
      'organization’s, computed as of the top of the hour with their weeks over the last 91 ' +
      'days. Calling again in the same hour recomputes again once the previous run completed; ' +
      'while it runs, a call adds nothing to it.',
  })
  @ApiAcceptedResponse({
    type: AdherenceRecomputeQueuedDto,
    description: 'The period queued (or the run of this hour already under way)',
  })
  @ApiProblem(404, 'No organization has this id')
  @ApiProblem(503, 'Redis did not take the job: nothing was queued, try again')
  queue(
    @Req() req: Request,
    @Body() body: AdherenceRecomputeDto,
  ): Promise<AdherenceRecomputeQueuedDto> {
    // The audit row names the organization acted on (the operator has none of its own).
    req.auditOrganizationId = body.organizationId ?? null;
    return this.recompute.queue(body.organizationId ?? null);
  }
}
