import { Module } from '@nestjs/common';
import { PatientsModule } from '../patients/patients.module';
import { AdherenceRecomputeController } from './adherence-recompute.controller';
import { AdherenceRecomputeService } from './adherence-recompute.service';
import { AdherenceController } from './adherence.controller';
import { AdherenceService } from './adherence.service';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';

@Module({
  imports: [PatientsModule],
  controllers: [AdherenceController, DashboardController, AdherenceRecomputeController],
  providers: [AdherenceService, DashboardService, AdherenceRecomputeService],
})
export class AdherenceModule {}
