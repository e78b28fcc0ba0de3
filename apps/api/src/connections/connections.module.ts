import { Module } from '@nestjs/common';
import { PatientsModule } from '../patients/patients.module';
import { ConnectionsController } from './connections.controller';
import { ConnectionsService } from './connections.service';
import { ProviderNotificationsService } from './provider-notifications.service';

@Module({
  imports: [PatientsModule],
  controllers: [ConnectionsController],
  providers: [ConnectionsService, ProviderNotificationsService],
  exports: [ConnectionsService],
})
export class ConnectionsModule {}
