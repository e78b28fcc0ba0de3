import { Clinician, OrganizationsRepository } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { pageRequest, type Page, type PageQueryDto } from '../common/pagination';
import { ProblemException } from '../common/problem';
import type { ClinicianDto, CreateClinicianDto } from './clinician.dto';

const toDto = ({ id, name, email, createdAt }: Clinician): ClinicianDto => ({
  id,
  name,
  email,
  createdAt,
});

@Injectable()
export class CliniciansService {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async create(caller: Caller, input: CreateClinicianDto): Promise<ClinicianDto> {
    if (await this.organizations.clinicianEmailTaken(caller.organizationId, input.email)) {
      throw new ProblemException(
        409,
        'A clinician with this email already exists in the organization',
      );
    }
    const saved = await this.organizations.insertClinician(
      caller.organizationId,
      input.name,
      input.email,
    );
    return toDto(saved);
  }

  async list(caller: Caller, page: PageQueryDto): Promise<Page<ClinicianDto>> {
    const result = await this.organizations.clinicianPage(caller.organizationId, pageRequest(page));
    return { data: result.data.map(toDto), nextCursor: result.nextCursor };
  }
}
