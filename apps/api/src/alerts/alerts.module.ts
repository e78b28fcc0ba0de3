import { Module } from '@nestjs/common';
import { PatientsModule } from '../patients/patients.module';
import { AlertsController } from './alerts.controller';
import { AlertsService } from './alerts.service';

@Module({ imports: [PatientsModule], controllers: [AlertsController], providers: [AlertsService] })
export class AlertsModule {}
