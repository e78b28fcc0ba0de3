import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { DashboardAdherenceDto, DashboardAdherenceQueryDto } from './dashboard.dto';
import { DashboardService } from './dashboard.service';

@ApiTags('Dashboard')
@Controller('v1/dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get('adherence')
  @Access(['admin', 'dashboard'], 'aggregates:read')
  // Reads many patients' figures but names none: audited without a patient.
  @Audited('dashboard_adherence.read', 'none')
  @ApiOperation({
    summary: 'Adherence of the organization’s patients by week or by clinician: aggregates only',
    description:
      'From the weekly figures the worker computes (up to each patient’s last closed day). At most ' +
      '366 days. Open alerts by severity will join these figures with the alerts feature.',
  })
  @ApiOkResponse({ type: DashboardAdherenceDto, description: 'Aggregates; never a patient id' })
  adherence(
    @CurrentCaller() caller: Caller,
    @Query() query: DashboardAdherenceQueryDto,
  ): Promise<DashboardAdherenceDto> {
    return this.dashboard.adherence(caller, query);
  }
}
