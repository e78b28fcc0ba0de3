import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { PageQueryDto, pageSchema, type Page } from '../common/pagination';
import {
  CreateEnrollmentDto,
  CreatePatientDto,
  PatientDetailDto,
  EnrollmentDto,
  PatientDto,
  UpdatePatientDto,
} from './patient.dto';
import { PatientsService } from './patients.service';

const PatientId = () => Param('id', new ParseIdPipe('patient'));

@ApiTags('Patients')
@ApiExtraModels(PatientDto, EnrollmentDto)
@Controller('v1/patients')
export class PatientsController {
  constructor(private readonly patients: PatientsService) {}

  @Post()
  @Access(['admin'], 'patients:write')
  @Audited('patient.create', { result: 'id' })
  @ApiCreatedResponse({ type: PatientDto })
  create(@CurrentCaller() caller: Caller, @Body() body: CreatePatientDto): Promise<PatientDto> {
    return this.patients.create(caller, body);
  }

  @Get()
  @Access(['admin', 'clinician', 'app'], 'patients:read')
  @Audited('patient.list', 'none')
  @ApiOkResponse({
    schema: pageSchema(getSchemaPath(PatientDto)),
    description: 'The patients this key may see',
  })
  list(@CurrentCaller() caller: Caller, @Query() page: PageQueryDto): Promise<Page<PatientDto>> {
    return this.patients.list(caller, page);
  }

  @Get(':id')
  @Access(['admin', 'clinician', 'app'], 'patients:read')
  @Audited('patient.read')
  @ApiOkResponse({ type: PatientDetailDto })
  get(@CurrentCaller() caller: Caller, @PatientId() id: string): Promise<PatientDetailDto> {
    return this.patients.get(caller, id);
  }

  @Patch(':id')
  @Access(['admin'], 'patients:write')
  @Audited('patient.update')
  @ApiOkResponse({ type: PatientDto })
  update(
    @CurrentCaller() caller: Caller,
    @PatientId() id: string,
    @Body() body: UpdatePatientDto,
  ): Promise<PatientDto> {
    return this.patients.update(caller, id, body);
  }

  @Post(':id/enrollments')
  @Access(['admin'], 'patients:write')
  @Audited('enrollment.create')
  @ApiCreatedResponse({
    type: EnrollmentDto,
    description: 'The app may now read and write for this patient',
  })
  enroll(
    @CurrentCaller() caller: Caller,
    @PatientId() id: string,
    @Body() body: CreateEnrollmentDto,
  ): Promise<EnrollmentDto> {
    return this.patients.enroll(caller, id, body);
  }

  @Get(':id/enrollments')
  @Access(['admin'], 'patients:read')
  @Audited('enrollment.list')
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { data: { type: 'array', items: { $ref: getSchemaPath(EnrollmentDto) } } },
    },
  })
  listEnrollments(
    @CurrentCaller() caller: Caller,
    @PatientId() id: string,
  ): Promise<{ data: EnrollmentDto[] }> {
    return this.patients.listEnrollments(caller, id);
  }

  @Delete(':id/enrollments/:clientAppId')
  @HttpCode(204)
  @Access(['admin'], 'patients:write')
  @Audited('enrollment.revoke')
  @ApiNoContentResponse({ description: 'Consent withdrawn: the app can no longer see the patient' })
  async revokeEnrollment(
    @CurrentCaller() caller: Caller,
    @PatientId() id: string,
    @Param('clientAppId', new ParseIdPipe('enrollment')) clientAppId: string,
  ): Promise<void> {
    await this.patients.revokeEnrollment(caller, id, clientAppId);
  }
}
