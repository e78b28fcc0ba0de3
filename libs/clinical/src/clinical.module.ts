import { Module } from '@nestjs/common';
import { ClinicalRecordsService } from './clinical-records.service';
import { RuleSettingsService } from './rule-settings.service';

@Module({
  providers: [ClinicalRecordsService, RuleSettingsService],
  exports: [ClinicalRecordsService, RuleSettingsService],
})
export class ClinicalModule {}
