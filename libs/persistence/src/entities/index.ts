import { ApiKey } from './api-key.entity';
import { AuditLogEntry } from './audit-log-entry.entity';
import { ClientApp } from './client-app.entity';
import { Clinician } from './clinician.entity';
import { Enrollment } from './enrollment.entity';
import { Organization } from './organization.entity';
import { Patient } from './patient.entity';
import { Exercise } from './exercise.entity';
import { IdempotencyKey } from './idempotency-key.entity';
import { PainReport } from './pain-report.entity';
import { Program, ProgramItem } from './program.entity';
import { RuleFinding } from './rule-finding.entity';
import { SessionLog } from './session-log.entity';

export {
  ApiKey,
  AuditLogEntry,
  ClientApp,
  Clinician,
  Enrollment,
  Exercise,
  IdempotencyKey,
  Organization,
  PainReport,
  Patient,
  Program,
  ProgramItem,
  RuleFinding,
  SessionLog,
};
export type { ProgramStatus } from './program.entity';
export type { SessionItem } from './session-log.entity';
export type { AuditOutcome } from './audit-log-entry.entity';

export const ENTITIES = [
  Organization,
  Clinician,
  ClientApp,
  Patient,
  Enrollment,
  ApiKey,
  AuditLogEntry,
  Exercise,
  Program,
  ProgramItem,
  SessionLog,
  PainReport,
  RuleFinding,
  IdempotencyKey,
];
