import { Alert } from './alert.entity';
import { ApiKey } from './api-key.entity';
import { AuditLogEntry } from './audit-log-entry.entity';
import { ClientApp } from './client-app.entity';
import { Clinician } from './clinician.entity';
import { Enrollment } from './enrollment.entity';
import { Organization } from './organization.entity';
import { Patient } from './patient.entity';
import { ActivityDaily, ActivitySource } from './activity-daily.entity';
import { ActivityImport } from './activity-import.entity';
import { Exercise } from './exercise.entity';
import { IdempotencyKey } from './idempotency-key.entity';
import { PainReport } from './pain-report.entity';
import { Program, ProgramItem } from './program.entity';
import { Questionnaire } from './questionnaire.entity';
import { RuleFinding } from './rule-finding.entity';
import { CareTimeEntryRow, RtmEpisodeRow } from './rtm.entity';
import { SessionLog } from './session-log.entity';
import { WebhookDelivery, WebhookEndpoint } from './webhook.entity';

export {
  CareTimeEntryRow,
  RtmEpisodeRow,
  ActivityDaily,
  ActivityImport,
  ActivitySource,
  Alert,
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
  Questionnaire,
  RuleFinding,
  SessionLog,
  WebhookDelivery,
  WebhookEndpoint,
};
export type { DailySourceFigure } from './activity-daily.entity';
export type { ImportError, ImportStatus } from './activity-import.entity';
export type { ProgramStatus } from './program.entity';
export type { DeliveryStatus } from './webhook.entity';
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
  ActivityImport,
  ActivityDaily,
  ActivitySource,
  Alert,
  WebhookEndpoint,
  WebhookDelivery,
  Questionnaire,
  RtmEpisodeRow,
  CareTimeEntryRow,
];
