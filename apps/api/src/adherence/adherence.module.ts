import { Module } from '@nestjs/common';
import { PatientsModule } from '../patients/patients.module';
import { AdherenceController } from './adherence.controller';
import { AdherenceService } from './adherence.service';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';

@Module({
  imports: [PatientsModule],
  controllers: [AdherenceController, DashboardController],
  providers: [AdherenceService, DashboardService],
})
export class AdherenceModule {}
