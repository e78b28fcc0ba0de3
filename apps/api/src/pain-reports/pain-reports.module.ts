import { Module } from '@nestjs/common';
import { FindingsModule } from '../findings/findings.module';
import { PatientsModule } from '../patients/patients.module';
import { ProgramsModule } from '../programs/programs.module';
import { PainReportsController } from './pain-reports.controller';
import { PainReportsService } from './pain-reports.service';

@Module({
  imports: [FindingsModule, PatientsModule, ProgramsModule],
  controllers: [PainReportsController],
  providers: [PainReportsService],
  exports: [PainReportsService],
})
export class PainReportsModule {}
