import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { ApiJsonBody } from '../common/openapi';
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
  @ApiJsonBody(CreatePainReportDto, {
    nextDay: {
      summary: 'The morning after a session: pain has spread to the calf',
      value: {
        clientRef: 'app-7f3c-report-0042',
        reportedAt: '2026-11-22T08:30:00+01:00',
        context: 'next_day',
        intensity: 6,
        mostDistalSite: 'calf',
        side: 'left',
      },
    },
    redFlag: {
      summary: 'A red flag answered yes',
      value: {
        clientRef: 'app-7f3c-report-0043',
        reportedAt: '2026-11-22T20:10:00+01:00',
        context: 'baseline',
        intensity: 5,
        mostDistalSite: 'thigh',
        side: 'right',
        redFlags: { saddleNumbness: false, bladderBowelChange: false, fever: true },
      },
    },
  })
  @ApiCreatedResponse({
    type: PainReportResultDto,
    description: 'Recorded; `findings` says what the app should tell the patient now',
  })
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
