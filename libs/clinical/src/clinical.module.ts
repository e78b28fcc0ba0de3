import { Module } from '@nestjs/common';
import { AdherenceComputeService } from './adherence/adherence-compute.service';
import { ClinicalRecordsService } from './clinical-records.service';
import { RuleSettingsService } from './rule-settings.service';

@Module({
  providers: [ClinicalRecordsService, RuleSettingsService, AdherenceComputeService],
  exports: [ClinicalRecordsService, RuleSettingsService, AdherenceComputeService],
})
export class ClinicalModule {}
