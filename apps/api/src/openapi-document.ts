import { type AppConfig, loadConfig } from '@app/config';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { createOpenApiDocument } from './common/openapi';

/**
 * The OpenAPI document the API serves at /docs-json, built without serving: the application
 * is created in preview mode (modules and routes, no providers), so neither PostgreSQL nor
 * Redis is needed. By default from the settings' defaults, so that it is the same whoever
 * builds it (the document depends on no setting); test/openapi-complete.e2e-spec.ts checks it
 * equals the served one.
 */
export async function buildOpenApiDocument(
  config: AppConfig = loadConfig({}),
): Promise<OpenAPIObject> {
  const app = await NestFactory.create(AppModule.forRoot(config), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return createOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
