export * from './errors';
export * from './google-health.client';
export * from './oauth';
export * from './providers.service';
export * from './withings.client';
export * from './providers.module';
