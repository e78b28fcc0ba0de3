import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { AdherenceQueryDto, PatientAdherenceDto, PatientFlagsDto } from './adherence.dto';
import { AdherenceService } from './adherence.service';

@ApiTags('Progress')
@Controller('v1/patients/:id')
export class AdherenceController {
  constructor(private readonly adherence: AdherenceService) {}

  @Get('adherence')
  @Access(['admin', 'clinician', 'app'], 'records:read')
  @Audited('adherence.read')
  @ApiOperation({
    summary: 'Exercise and walking adherence per patient-local day and per Monday week',
    description:
      'Computed from the records with the current program (clinical-rules §4). At most 366 days, ' +
      'ending no later than the patient’s today (whose figures are so far). Without a current ' +
      'program, `days` and `weeks` are empty and `programStartDate` is null.',
  })
  @ApiOkResponse({ type: PatientAdherenceDto, description: 'Adherence per day and per week' })
  get(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Query() query: AdherenceQueryDto,
  ): Promise<PatientAdherenceDto> {
    return this.adherence.adherence(caller, patientId, query);
  }

  @Get('flags')
  @Access(['admin', 'clinician', 'app'], 'records:read')
  @Audited('progression_flags.read')
  @ApiOperation({
    summary:
      'Current progression flags (suggestions, clinical-rules §5), from the last scheduled run',
  })
  @ApiOkResponse({ type: PatientFlagsDto, description: 'The current flags' })
  flags(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
  ): Promise<PatientFlagsDto> {
    return this.adherence.flags(caller, patientId);
  }
}
