import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { CreatePainReportDto, PainReportResultDto } from './pain-report.dto';
import { PainReportsService } from './pain-reports.service';

@ApiTags('Records')
@Controller('v1/patients/:id/pain-reports')
export class PainReportsController {
  constructor(private readonly painReports: PainReportsService) {}

  @Post()
  @Access(['admin', 'app'], 'records:write')
  @Audited('pain_report.create')
  @ApiOperation({ summary: 'Record a pain report; the rules answer at once with their findings' })
  @ApiCreatedResponse({ type: PainReportResultDto })
  @ApiOkResponse({
    type: PainReportResultDto,
    description: 'The clientRef was already recorded with this content: nothing new was written',
  })
  async create(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Body() body: CreatePainReportDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PainReportResultDto> {
    const result = await this.painReports.create(caller, patientId, body);
    if (result.replayed) res.status(200);
    return result.body;
  }
}
