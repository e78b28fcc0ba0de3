import { ClinicalModule } from '@app/clinical';
import { Module } from '@nestjs/common';
import { ActivityImportProcessor } from './activity-import.processor';
import { ActivityImportSweeper } from './activity-import.sweeper';

@Module({ imports: [ClinicalModule], providers: [ActivityImportProcessor, ActivityImportSweeper] })
export class ActivityModule {}
