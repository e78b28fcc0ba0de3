import { Module } from '@nestjs/common';
import { ClinicalRecordsService } from './clinical-records.service';

/** Writing sessions and pain reports with the rules' findings, alerts and program holds. */
@Module({
  providers: [ClinicalRecordsService],
  exports: [ClinicalRecordsService],
})
export class RecordsModule {}
