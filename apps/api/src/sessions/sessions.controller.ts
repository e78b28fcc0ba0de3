import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { ApiJsonBody } from '../common/openapi';
import { CreateSessionDto, SessionResultDto } from './session.dto';
import { SessionsService } from './sessions.service';

@ApiTags('Records')
@Controller('v1/patients/:id/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post()
  @Access(['admin', 'app'], 'records:write')
  @Audited('session.create')
  @ApiOperation({
    summary:
      'Log an exercise session; pain before/after become linked pain reports and the rules answer at once',
  })
  @ApiJsonBody(CreateSessionDto, {
    withPain: {
      summary: 'A round of press-ups with the pain before and after',
      value: {
        clientRef: 'app-7f3c-session-0107',
        performedAt: '2026-11-22T10:05:00+01:00',
        durationMinutes: 10,
        items: [
          { exerciseCode: 'prone_press_up', sets: 1, reps: 10, holdSeconds: 5 },
          { exerciseCode: 'standing_extension', reps: 6, holdSeconds: 3 },
        ],
        painBefore: { intensity: 5, mostDistalSite: 'thigh', side: 'left' },
        painAfter: { intensity: 4, mostDistalSite: 'buttock', side: 'left' },
      },
    },
  })
  @ApiCreatedResponse({
    type: SessionResultDto,
    description: 'Logged; `findings` says what the app should tell the patient now',
  })
  @ApiOkResponse({
    type: SessionResultDto,
    description: 'The clientRef was already recorded with this content: nothing new was written',
  })
  async create(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Body() body: CreateSessionDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SessionResultDto> {
    const result = await this.sessions.create(caller, patientId, body);
    if (result.replayed) res.status(200);
    return result.body;
  }
}
