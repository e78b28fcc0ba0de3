import { Module } from '@nestjs/common';
import { AdherenceComputeService } from './adherence-compute.service';

/** The adherence computation the worker runs; its statements are in @app/persistence. */
@Module({
  providers: [AdherenceComputeService],
  exports: [AdherenceComputeService],
})
export class AdherenceComputeModule {}
