import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module';
import { FhirModule } from '../fhir/fhir.module';
import { PatientsModule } from '../patients/patients.module';
import { PatientErasureService } from './patient-erasure.service';
import { PatientExportService } from './patient-export.service';
import { PrivacyController } from './privacy.controller';

@Module({
  imports: [PatientsModule, FhirModule, ConnectionsModule],
  controllers: [PrivacyController],
  providers: [PatientErasureService, PatientExportService],
})
export class PrivacyModule {}
