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
import { ApiJsonBody, ApiPage, ApiProblem } from '../common/openapi';
import { PageQueryDto, type Page } from '../common/pagination';
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
@ApiExtraModels(EnrollmentDto)
@Controller('v1/patients')
export class PatientsController {
  constructor(private readonly patients: PatientsService) {}

  @Post()
  @Access(['admin'], 'patients:write')
  @Audited('patient.create', { result: 'id' })
  @ApiJsonBody(CreatePatientDto, {
    minimal: {
      summary: 'The required fields',
      value: {
        externalRef: 'MRN-000123',
        timezone: 'Europe/London',
        clinicianId: '3b0e5a52-7c1e-4f0a-9d2b-5c8e1f7a4d10',
      },
    },
    withBaseline: {
      summary: 'With the onset and the pain at enrolment',
      value: {
        externalRef: 'MRN-000124',
        timezone: 'America/New_York',
        clinicianId: '3b0e5a52-7c1e-4f0a-9d2b-5c8e1f7a4d10',
        symptomOnsetDate: '2026-10-01',
        condition: 'lumbar_disc_herniation',
        baselinePain: { intensity: 6, mostDistalSite: 'calf', side: 'left' },
      },
    },
  })
  @ApiCreatedResponse({ type: PatientDto, description: 'The patient' })
  @ApiProblem(409, 'The externalRef is taken in the organization, or the Idempotency-Key is busy')
  create(@CurrentCaller() caller: Caller, @Body() body: CreatePatientDto): Promise<PatientDto> {
    return this.patients.create(caller, body);
  }

  @Get()
  @Access(['admin', 'clinician', 'app'], 'patients:read')
  @Audited('patient.list', 'none')
  @ApiPage(PatientDto, 'The patients this key may see, oldest first')
  list(@CurrentCaller() caller: Caller, @Query() page: PageQueryDto): Promise<Page<PatientDto>> {
    return this.patients.list(caller, page);
  }

  @Get(':id')
  @Access(['admin', 'clinician', 'app'], 'patients:read')
  @Audited('patient.read')
  @ApiOkResponse({
    type: PatientDetailDto,
    description: 'The patient, with the current STarT Back stratum',
  })
  get(@CurrentCaller() caller: Caller, @PatientId() id: string): Promise<PatientDetailDto> {
    return this.patients.get(caller, id);
  }

  @Patch(':id')
  @Access(['admin'], 'patients:write')
  @Audited('patient.update')
  @ApiOkResponse({ type: PatientDto, description: 'The patient as changed' })
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
    description: 'The patient’s enrollments, withdrawn ones included',
    schema: {
      type: 'object',
      required: ['data'],
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
