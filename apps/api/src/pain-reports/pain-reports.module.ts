import { RecordsModule } from '@app/records';
import { Module } from '@nestjs/common';
import { PatientsModule } from '../patients/patients.module';
import { PainReportsController } from './pain-reports.controller';
import { PainReportsService } from './pain-reports.service';

@Module({
  imports: [RecordsModule, PatientsModule],
  controllers: [PainReportsController],
  providers: [PainReportsService],
})
export class PainReportsModule {}
