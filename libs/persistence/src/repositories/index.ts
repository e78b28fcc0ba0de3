import { ActivityRepository } from './activity.repository';
import { AdherenceInputsRepository } from './adherence-inputs.repository';
import { AdherenceRepository } from './adherence.repository';
import { AlertsRepository } from './alerts.repository';
import { ApiKeysRepository } from './api-keys.repository';
import { AuditRepository } from './audit.repository';
import { CatalogRepository } from './catalog.repository';
import { ConnectionsRepository } from './connections.repository';
import { DashboardRepository } from './dashboard.repository';
import { FhirExportsRepository } from './fhir-exports.repository';
import { FhirRepository } from './fhir.repository';
import { IdempotencyRepository } from './idempotency.repository';
import { OperationsRepository } from './operations.repository';
import { OrganizationsRepository } from './organizations.repository';
import { OutboxRepository } from './outbox.repository';
import { PatientErasureRepository } from './patient-erasure.repository';
import { PatientExportRepository } from './patient-export.repository';
import { PatientsRepository } from './patients.repository';
import { ProgramsRepository } from './programs.repository';
import { QuestionnairesRepository } from './questionnaires.repository';
import { RecordsRepository } from './records.repository';
import { RtmRepository } from './rtm.repository';
import { SampleStorageRepository } from './sample-storage.repository';
import { WebhooksRepository } from './webhooks.repository';
import { WorklistRepository } from './worklist.repository';

export * from './activity.repository';
export * from './adherence-inputs.repository';
export * from './adherence-weeks.sql';
export * from './adherence.repository';
export * from './alerts.repository';
export * from './api-keys.repository';
export * from './audit.repository';
export * from './catalog.repository';
export * from './connections.repository';
export * from './dashboard.repository';
export * from './fhir-exports.repository';
export * from './fhir.repository';
export * from './idempotency.repository';
export * from './operations.repository';
export * from './organizations.repository';
export * from './outbox.repository';
export * from './patient-erasure.repository';
export * from './patient-export.repository';
export * from './patients.repository';
export * from './programs.repository';
export * from './questionnaires.repository';
export * from './records.repository';
export * from './rtm.repository';
export * from './sample-storage.repository';
export * from './webhooks.repository';
export * from './worklist.repository';

/** Every repository: provided and exported by PersistenceModule. */
export const REPOSITORIES = [
  ActivityRepository,
  AdherenceInputsRepository,
  AdherenceRepository,
  AlertsRepository,
  ApiKeysRepository,
  AuditRepository,
  CatalogRepository,
  ConnectionsRepository,
  DashboardRepository,
  FhirExportsRepository,
  FhirRepository,
  IdempotencyRepository,
  OperationsRepository,
  OrganizationsRepository,
  OutboxRepository,
  PatientErasureRepository,
  PatientExportRepository,
  PatientsRepository,
  ProgramsRepository,
  QuestionnairesRepository,
  RecordsRepository,
  RtmRepository,
  SampleStorageRepository,
  WebhooksRepository,
  WorklistRepository,
];
