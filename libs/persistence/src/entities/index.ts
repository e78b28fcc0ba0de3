import { ApiKey } from './api-key.entity';
import { AuditLogEntry } from './audit-log-entry.entity';
import { ClientApp } from './client-app.entity';
import { Clinician } from './clinician.entity';
import { Enrollment } from './enrollment.entity';
import { Organization } from './organization.entity';
import { Patient } from './patient.entity';

export { ApiKey, AuditLogEntry, ClientApp, Clinician, Enrollment, Organization, Patient };
export type { AuditOutcome } from './audit-log-entry.entity';

export const ENTITIES = [
  Organization,
  Clinician,
  ClientApp,
  Patient,
  Enrollment,
  ApiKey,
  AuditLogEntry,
];
