import { AdherenceComputeModule } from '@app/adherence';
import { Module } from '@nestjs/common';
import { AdherenceProcessor } from './adherence.processor';
import { AdherenceScheduler } from './adherence.scheduler';

@Module({
  imports: [AdherenceComputeModule],
  providers: [AdherenceProcessor, AdherenceScheduler],
})
export class AdherenceModule {}
