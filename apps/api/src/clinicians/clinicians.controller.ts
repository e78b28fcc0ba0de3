import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ApiPage } from '../common/openapi';
import { PageQueryDto, type Page } from '../common/pagination';
import { ClinicianDto, CreateClinicianDto } from './clinician.dto';
import { CliniciansService } from './clinicians.service';

@ApiTags('Organization administration')
@Controller('v1/clinicians')
@Access(['admin'], 'org:manage')
export class CliniciansController {
  constructor(private readonly clinicians: CliniciansService) {}

  @Post()
  @ApiCreatedResponse({ type: ClinicianDto, description: 'The clinician' })
  create(@CurrentCaller() caller: Caller, @Body() body: CreateClinicianDto): Promise<ClinicianDto> {
    return this.clinicians.create(caller, body);
  }

  @Get()
  @ApiPage(ClinicianDto, 'The organization’s clinicians, oldest first')
  list(@CurrentCaller() caller: Caller, @Query() page: PageQueryDto): Promise<Page<ClinicianDto>> {
    return this.clinicians.list(caller, page);
  }
}
