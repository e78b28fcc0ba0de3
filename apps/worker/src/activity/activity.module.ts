import { RecordsModule } from '@app/records';
import { Module } from '@nestjs/common';
import { ActivityImportProcessor } from './activity-import.processor';
import { ActivityImportSweeper } from './activity-import.sweeper';

@Module({ imports: [RecordsModule], providers: [ActivityImportProcessor, ActivityImportSweeper] })
export class ActivityModule {}
