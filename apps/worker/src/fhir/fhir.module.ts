import { Module } from '@nestjs/common';
import { FhirExportProcessor } from './fhir-export.processor';

@Module({ providers: [FhirExportProcessor] })
export class FhirModule {}
