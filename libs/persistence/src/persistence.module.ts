import { AppConfig } from '@app/config';
import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options';
import { Db } from './db.service';
import { ENTITIES } from './entities';
import { ReadReplica } from './read-replica.service';
import { REPOSITORIES } from './repositories';
import { WebhookSecrets } from './webhook-secrets.service';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      // Reachability is checked before boot with a clear message, so no silent retry loop here.
      useFactory: (config: AppConfig) => ({ ...dataSourceOptions(config), retryAttempts: 0 }),
    }),
    TypeOrmModule.forFeature(ENTITIES),
  ],
  providers: [Db, ReadReplica, WebhookSecrets, ...REPOSITORIES],
  exports: [TypeOrmModule, Db, ReadReplica, WebhookSecrets, ...REPOSITORIES],
})
export class PersistenceModule {}
