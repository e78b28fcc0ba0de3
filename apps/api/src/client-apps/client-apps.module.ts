import { Module } from '@nestjs/common';
import { ClientAppsController } from './client-apps.controller';
import { ClientAppsService } from './client-apps.service';

@Module({ controllers: [ClientAppsController], providers: [ClientAppsService] })
export class ClientAppsModule {}
