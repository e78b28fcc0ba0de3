import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { ProgramsModule } from '../programs/programs.module';
import { FindingsService } from './findings.service';

@Module({
  imports: [OrganizationsModule, ProgramsModule],
  providers: [FindingsService],
  exports: [FindingsService],
})
export class FindingsModule {}
