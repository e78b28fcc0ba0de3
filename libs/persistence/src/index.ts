export * from './activity-rollup.sql';
export * from './db.service';
export * from './data-source-options';
export { vacuumAsOwner } from './database-roles';
export * from './entities';
export * from './outbox';
export * from './persistence.module';
export * from './startup';
export * from './webhook-secrets.service';
