import { ClinicalModule } from '@app/clinical';
import { Module } from '@nestjs/common';
import { PatientsModule } from '../patients/patients.module';
import { PainReportsController } from './pain-reports.controller';
import { PainReportsService } from './pain-reports.service';

@Module({
  imports: [ClinicalModule, PatientsModule],
  controllers: [PainReportsController],
  providers: [PainReportsService],
})
export class PainReportsModule {}
