import { ClinicalModule } from '@app/clinical';
import { Module } from '@nestjs/common';
import { AdherenceProcessor } from './adherence.processor';
import { AdherenceScheduler } from './adherence.scheduler';

@Module({
  imports: [ClinicalModule],
  providers: [AdherenceProcessor, AdherenceScheduler],
})
export class AdherenceModule {}
