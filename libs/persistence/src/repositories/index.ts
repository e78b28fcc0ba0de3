import { ApiKeysRepository } from './api-keys.repository';
import { AuditRepository } from './audit.repository';
import { CatalogRepository } from './catalog.repository';
import { IdempotencyRepository } from './idempotency.repository';
import { OrganizationsRepository } from './organizations.repository';
import { OutboxRepository } from './outbox.repository';
import { PatientsRepository } from './patients.repository';
import { WebhooksRepository } from './webhooks.repository';

export * from './api-keys.repository';
export * from './audit.repository';
export * from './catalog.repository';
export * from './idempotency.repository';
export * from './organizations.repository';
export * from './outbox.repository';
export * from './patients.repository';
export * from './webhooks.repository';

/** Every repository: provided and exported by PersistenceModule. */
export const REPOSITORIES = [
  ApiKeysRepository,
  AuditRepository,
  CatalogRepository,
  IdempotencyRepository,
  OrganizationsRepository,
  OutboxRepository,
  PatientsRepository,
  WebhooksRepository,
];
