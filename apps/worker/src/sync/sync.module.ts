import { Module } from '@nestjs/common';
import { ProviderSyncProcessor } from './provider-sync.processor';

@Module({ providers: [ProviderSyncProcessor] })
export class SyncModule {}
