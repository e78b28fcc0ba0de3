import { Clinician, Db } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import type { Caller } from '../auth/caller';
import { paginate, type Page, type PageQueryDto } from '../common/pagination';
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
  constructor(private readonly db: Db) {}

  private get clinicians(): Repository<Clinician> {
    return this.db.repo(Clinician);
  }

  async create(caller: Caller, input: CreateClinicianDto): Promise<ClinicianDto> {
    const taken = await this.clinicians
      .createQueryBuilder('c')
      .where('c.organization_id = :org AND lower(c.email) = lower(:email)', {
        org: caller.organizationId,
        email: input.email,
      })
      .getExists();
    if (taken)
      throw new ProblemException(
        409,
        'A clinician with this email already exists in the organization',
      );
    const saved = await this.clinicians.save(
      this.clinicians.create({
        organizationId: caller.organizationId,
        name: input.name,
        email: input.email,
      }),
    );
    return toDto(saved);
  }

  async list(caller: Caller, page: PageQueryDto): Promise<Page<ClinicianDto>> {
    const qb = this.clinicians
      .createQueryBuilder('c')
      .where('c.organization_id = :org', { org: caller.organizationId });
    const result = await paginate(qb, page);
    return { data: result.data.map(toDto), nextCursor: result.nextCursor };
  }
}
