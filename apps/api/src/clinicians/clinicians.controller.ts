import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { PageQueryDto, pageSchema, type Page } from '../common/pagination';
import { ClinicianDto, CreateClinicianDto } from './clinician.dto';
import { CliniciansService } from './clinicians.service';

@ApiTags('Organization administration')
@ApiExtraModels(ClinicianDto)
@Controller('v1/clinicians')
@Access(['admin'], 'org:manage')
export class CliniciansController {
  constructor(private readonly clinicians: CliniciansService) {}

  @Post()
  @ApiCreatedResponse({ type: ClinicianDto })
  create(@CurrentCaller() caller: Caller, @Body() body: CreateClinicianDto): Promise<ClinicianDto> {
    return this.clinicians.create(caller, body);
  }

  @Get()
  @ApiOkResponse({ schema: pageSchema(getSchemaPath(ClinicianDto)) })
  list(@CurrentCaller() caller: Caller, @Query() page: PageQueryDto): Promise<Page<ClinicianDto>> {
    return this.clinicians.list(caller, page);
  }
}
