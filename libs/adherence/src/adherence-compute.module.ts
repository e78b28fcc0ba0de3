import { Module } from '@nestjs/common';
import { AdherenceComputeService } from './adherence-compute.service';
import { WorklistComputeService } from './worklist-compute.service';

/** The adherence computation the worker runs; its statements are in @app/persistence. */
@Module({
  providers: [AdherenceComputeService, WorklistComputeService],
  exports: [AdherenceComputeService, WorklistComputeService],
})
export class AdherenceComputeModule {}
