import { AppConfig } from '@app/config';
import { Controller, Delete, Get, HttpCode, Param, Req, StreamableFile } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Readable } from 'node:stream';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { requestIdOf } from '../common/logging';
import { fhirBaseOf } from '../fhir/fhir.controller';
import { ERASE_ACTION, PatientErasureService } from './patient-erasure.service';
import { PatientExportDto } from './patient-export.dto';
import { PatientExportService } from './patient-export.service';

const PatientId = () => Param('id', new ParseIdPipe('patient'));

/** A patient's rights over their data: a copy of everything held, and erasure (docs/privacy.md). */
@ApiTags('Patients')
@Controller('v1/patients')
export class PrivacyController {
  constructor(
    private readonly config: AppConfig,
    private readonly erasure: PatientErasureService,
    private readonly exports: PatientExportService,
  ) {}

  @Get(':id/export')
  @Access(['admin'], 'patients:read')
  @Audited('patient.export')
  @ApiOperation({
    summary: 'Everything held about the patient, as one JSON document',
    description:
      'The patient, enrollments, programs with items and holds, sessions, pain reports, ' +
      'questionnaires, findings, alerts, activity (imports, sources, daily figures, every ' +
      'sample), adherence, remote monitoring, the worklist entry, wearable-cloud connections ' +
      '(never their tokens), the organization’s audit rows about the patient, and the same ' +
      'record as a FHIR R4 Bundle. Streamed as it is read. The key needs every scope that ' +
      'reads a part of it (patients:read, programs:read, records:read, alerts:read, care:read).',
  })
  @ApiOkResponse({
    type: PatientExportDto,
    description: 'Everything held about the patient, as one JSON document (streamed)',
  })
  async export(
    @CurrentCaller() caller: Caller,
    @PatientId() id: string,
    @Req() req: Request,
  ): Promise<StreamableFile> {
    const chunks = await this.exports.export(caller, id, fhirBaseOf(this.config, req));
    return new StreamableFile(Readable.from(chunks), {
      type: 'application/json; charset=utf-8',
      disposition: `attachment; filename="patient-${id}.json"`,
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @Access(['admin'], 'patients:write')
  @Audited(ERASE_ACTION, { param: 'id' }, { success: 'handler' })
  @ApiOperation({
    summary: 'Erase the patient and everything held about them',
    description:
      'Every record of the patient goes in one transaction, and the jobs that name them leave ' +
      'the queues; only the audit log keeps its rows (ids, no content), with one more that ' +
      'records the erasure. The externalRef may then be used for a new patient. Erasing a ' +
      'patient this organization erased already answers 204 again and changes nothing. ' +
      'Irreversible: export first if the record must be kept (docs/privacy.md).',
  })
  @ApiNoContentResponse({ description: 'Erased' })
  async erase(
    @CurrentCaller() caller: Caller,
    @PatientId() id: string,
    @Req() req: Request,
  ): Promise<void> {
    await this.erasure.erase(caller, id, requestIdOf(req) ?? null);
  }
}
