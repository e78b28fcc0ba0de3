import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { PatientsModule } from '../patients/patients.module';
import { ActivityController } from './activity.controller';
import { ActivityImportsService } from './activity-imports.service';

@Module({
  imports: [MetricsModule, PatientsModule],
  controllers: [ActivityController],
  providers: [ActivityImportsService],
})
export class ActivityModule {}
