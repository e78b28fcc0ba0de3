import { AppConfig, ConfigModule } from '@app/config';
import { PersistenceModule } from '@app/persistence';
import { QueueModule } from '@app/queue';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { ActivityModule } from './activity/activity.module';
import { AdherenceModule } from './adherence/adherence.module';
import { AlertsModule } from './alerts/alerts.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuditModule } from './audit/audit.module';
import { AuthGuard } from './auth/auth.guard';
import { AuthModule } from './auth/auth.module';
import { ClientAppsModule } from './client-apps/client-apps.module';
import { CliniciansModule } from './clinicians/clinicians.module';
import { loggerParams } from './common/logging';
import { ReplicaStalenessInterceptor } from './common/replica-staleness.interceptor';
import { RouteTemplateGuard } from './common/route-template.guard';
import { HealthModule } from './health/health.module';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { MetricsModule } from './metrics/metrics.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { PatientsModule } from './patients/patients.module';
import { ExercisesModule } from './exercises/exercises.module';
import { PainReportsModule } from './pain-reports/pain-reports.module';
import { QuestionnairesModule } from './questionnaires/questionnaires.module';
import { RtmModule } from './rtm/rtm.module';
import { ProgramsModule } from './programs/programs.module';
import { SessionsModule } from './sessions/sessions.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WorklistModule } from './worklist/worklist.module';
import { FhirModule } from './fhir/fhir.module';
import { ConnectionsModule } from './connections/connections.module';
import { ProvidersModule } from '@app/providers';
import { PrivacyModule } from './privacy/privacy.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config)),
        PersistenceModule,
        QueueModule,
        AuditModule,
        AuthModule,
        IdempotencyModule,
        HealthModule,
        MetricsModule,
        OrganizationsModule,
        CliniciansModule,
        ClientAppsModule,
        ApiKeysModule,
        PatientsModule,
        ExercisesModule,
        ProgramsModule,
        PainReportsModule,
        QuestionnairesModule,
        RtmModule,
        SessionsModule,
        ActivityModule,
        AdherenceModule,
        AlertsModule,
        WebhooksModule,
        WorklistModule,
        FhirModule,
        ProvidersModule,
        ConnectionsModule,
        PrivacyModule,
      ],
      providers: [
        // Guards run in this order: the route template is known even for refused requests.
        { provide: APP_GUARD, useClass: RouteTemplateGuard },
        { provide: APP_GUARD, useClass: AuthGuard },
        // Interceptors nest in this order: the audit row is written after the idempotent
        // transaction has committed or rolled back, so a failed write is still audited.
        { provide: APP_INTERCEPTOR, useClass: ReplicaStalenessInterceptor },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}
