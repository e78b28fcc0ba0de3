import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { ApiJsonBody, ApiProblem } from '../common/openapi';
import { CreateProgramDto, ProgramDto } from './program.dto';
import { ProgramsService } from './programs.service';

@ApiTags('Programs')
@ApiExtraModels(ProgramDto)
@Controller('v1')
export class ProgramsController {
  constructor(private readonly programs: ProgramsService) {}

  @Post('patients/:id/programs')
  @Access(['admin', 'clinician'], 'programs:write')
  @Audited('program.create')
  @ApiOperation({ summary: 'Prescribe a program; it supersedes the current one, which is kept' })
  @ApiJsonBody(CreateProgramDto, {
    mckenzie: {
      summary: 'Press-ups every 2 hours, a standing extension, a daily walk',
      value: {
        startDate: '2026-11-23',
        items: [
          {
            exerciseCode: 'prone_press_up',
            reps: 10,
            holdSeconds: 5,
            holdGoalSeconds: 30,
            timesPerDay: 6,
          },
          { exerciseCode: 'standing_extension', reps: 6, holdSeconds: 3, timesPerDay: 3 },
        ],
        walkingGoal: { dailySteps: 4000 },
        restGapDays: 2,
      },
    },
  })
  @ApiCreatedResponse({ type: ProgramDto, description: 'The new program, active' })
  create(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Body() body: CreateProgramDto,
  ): Promise<ProgramDto> {
    return this.programs.create(caller, patientId, body);
  }

  @Get('patients/:id/programs/active')
  @Access(['admin', 'clinician', 'app'], 'programs:read')
  @Audited('program.read')
  @ApiOperation({
    summary: 'The current program and its status (active, paused, suspended or completed)',
  })
  @ApiOkResponse({ type: ProgramDto, description: 'The current program' })
  @ApiProblem(404, 'No such patient, one this key may not see, or no program yet')
  active(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
  ): Promise<ProgramDto> {
    return this.programs.active(caller, patientId);
  }

  @Get('patients/:id/programs')
  @Access(['admin', 'clinician'], 'programs:read')
  @Audited('program.list')
  @ApiOperation({ summary: 'Every version of the patient’s program, newest first' })
  @ApiOkResponse({
    description: 'The versions, newest first',
    schema: {
      type: 'object',
      required: ['data'],
      properties: { data: { type: 'array', items: { $ref: getSchemaPath(ProgramDto) } } },
    },
  })
  history(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
  ): Promise<{ data: ProgramDto[] }> {
    return this.programs.history(caller, patientId);
  }

  @Post('programs/:id/resume')
  @HttpCode(200)
  @Access(['admin', 'clinician'], 'programs:write')
  @Audited('program.resume', { lookup: 'programs', param: 'id' })
  @ApiOperation({
    summary: 'Lift a pause or suspension after review (clinician of the patient, or admin)',
  })
  @ApiOkResponse({ type: ProgramDto, description: 'The program, active again' })
  resume(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('program')) id: string,
  ): Promise<ProgramDto> {
    return this.programs.resume(caller, id);
  }
}
