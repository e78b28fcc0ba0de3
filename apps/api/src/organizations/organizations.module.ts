import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { OrganizationSettingsController } from './organization-settings.controller';
import { OrganizationSettingsService } from './organization-settings.service';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsService } from './organizations.service';

@Module({
  imports: [ApiKeysModule],
  controllers: [OrganizationsController, OrganizationSettingsController],
  providers: [OrganizationsService, OrganizationSettingsService],
  exports: [OrganizationSettingsService],
})
export class OrganizationsModule {}
