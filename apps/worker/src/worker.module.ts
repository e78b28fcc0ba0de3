import { AppConfig, ConfigModule } from '@app/config';
import { PersistenceModule } from '@app/persistence';
import { QueueModule } from '@app/queue';
import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { ActivityModule } from './activity/activity.module';
import { AdherenceModule } from './adherence/adherence.module';
import { FhirModule } from './fhir/fhir.module';
import { SyncModule } from './sync/sync.module';
import { ProvidersModule } from '@app/providers';
import { HeartbeatModule } from './heartbeat/heartbeat.module';
import { MaintenanceModule } from './maintenance/maintenance.module';
import { JobsModule } from './jobs/jobs.module';
import { SystemModule } from './system/system.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL } }),
        ScheduleModule.forRoot(),
        PersistenceModule,
        QueueModule,
        JobsModule,
        SystemModule,
        HeartbeatModule,
        ActivityModule,
        AdherenceModule,
        MaintenanceModule,
        WebhooksModule,
        FhirModule,
        ProvidersModule,
        SyncModule,
      ],
    };
  }
}
