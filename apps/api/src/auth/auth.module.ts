import { Global, Module } from '@nestjs/common';
import { ApiKeyCache } from './api-key-cache.service';

/** What authentication keeps across requests: the key cache, shared with key management. */
@Global()
@Module({
  providers: [ApiKeyCache],
  exports: [ApiKeyCache],
})
export class AuthModule {}
