import { Module } from '@nestjs/common';
import { PatientsModule } from '../patients/patients.module';
import { FhirExportService } from './fhir-export.service';
import { FhirController, FhirExportController } from './fhir.controller';
import { FhirService } from './fhir.service';

@Module({
  imports: [PatientsModule],
  // The export controller first: its paths would otherwise match FhirController's `:type/:id`.
  controllers: [FhirExportController, FhirController],
  providers: [FhirService, FhirExportService],
  exports: [FhirService],
})
export class FhirModule {}
