import { ApiProperty } from '@nestjs/swagger';
import { PatientDto } from '../patients/patient.dto';

// The export's sections, field for field as PatientExportRepository reads them: every stored
// column of the patient's rows but secrets and internal bookkeeping (tokens, PKCE verifiers,
// request hashes, leases, cursors, raw payloads).

const uuid = { format: 'uuid' } as const;
const optionalUuid = { format: 'uuid', type: String, nullable: true } as const;
const optionalTime = { type: Date, nullable: true } as const;
const optionalText = { type: String, nullable: true } as const;
const optionalDate = { type: String, format: 'date', nullable: true } as const;
const json = { type: 'object', additionalProperties: true } as const;
const optionalJson = { ...json, nullable: true } as const;

export class ExportEnrollmentDto {
  @ApiProperty(uuid) clientAppId: string;
  @ApiProperty() consentedAt: Date;
  @ApiProperty(optionalTime) revokedAt: Date | null;
}

export class ExportProgramItemDto {
  @ApiProperty() position: number;
  @ApiProperty() exerciseCode: string;
  @ApiProperty({ type: 'integer', nullable: true }) sets: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) reps: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) repsGoal: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) holdSeconds: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) holdGoalSeconds: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) durationMinutes: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) timesPerDay: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) daysPerWeek: number | null;
}

export class ExportProgramHoldDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty({ enum: ['paused', 'suspended'] }) status: string;
  @ApiProperty() reason: string;
  @ApiProperty() startedAt: Date;
  @ApiProperty(optionalTime) endedAt: Date | null;
}

export class ExportProgramDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty() version: number;
  @ApiProperty({ enum: ['active', 'paused', 'suspended', 'completed'] }) status: string;
  @ApiProperty(optionalText) statusReason: string | null;
  @ApiProperty() statusChangedAt: Date;
  @ApiProperty({ format: 'date' }) startDate: string;
  @ApiProperty({ type: Number, nullable: true }) walkingGoalDailySteps: number | null;
  @ApiProperty({ type: 'integer' }) restGapDays: number;
  @ApiProperty(optionalUuid) supersedesProgramId: string | null;
  @ApiProperty(optionalTime) supersededAt: Date | null;
  @ApiProperty(optionalUuid) createdByKeyId: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ type: [ExportProgramItemDto] }) items: ExportProgramItemDto[];
  @ApiProperty({ type: [ExportProgramHoldDto], description: 'When the program was on hold' })
  holds: ExportProgramHoldDto[];
}

export class ExportSessionDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty(optionalUuid) programId: string | null;
  @ApiProperty() clientRef: string;
  @ApiProperty() performedAt: Date;
  @ApiProperty({ format: 'date' }) localDate: string;
  @ApiProperty({ type: 'integer', nullable: true }) durationMinutes: number | null;
  @ApiProperty({ type: 'array', items: json }) items: Record<string, unknown>[];
  @ApiProperty(optionalUuid) createdByKeyId: string | null;
  @ApiProperty() createdAt: Date;
}

export class ExportPainReportDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty(optionalText) clientRef: string | null;
  @ApiProperty({ ...optionalUuid, description: 'The session it was reported with' })
  sessionId: string | null;
  @ApiProperty() reportedAt: Date;
  @ApiProperty({ format: 'date' }) localDate: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10 }) intensity: number;
  @ApiProperty() mostDistalSite: string;
  @ApiProperty(optionalText) side: string | null;
  @ApiProperty() context: string;
  @ApiProperty(optionalJson) redFlags: Record<string, unknown> | null;
  @ApiProperty({ type: 'integer', nullable: true }) odi: number | null;
  @ApiProperty(optionalUuid) createdByKeyId: string | null;
  @ApiProperty() createdAt: Date;
}

export class ExportQuestionnaireDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty({ enum: ['startback', 'psfs', 'odi'] }) instrument: string;
  @ApiProperty() completedAt: Date;
  @ApiProperty({ format: 'date' }) localDate: string;
  @ApiProperty(json) answers: Record<string, unknown>;
  @ApiProperty(json) score: Record<string, unknown>;
  @ApiProperty(optionalUuid) createdByKeyId: string | null;
  @ApiProperty() createdAt: Date;
}

export class ExportFindingDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty() rule: string;
  @ApiProperty() severity: string;
  @ApiProperty() action: string;
  @ApiProperty(optionalText) programEffect: string | null;
  @ApiProperty(json) evidence: Record<string, unknown>;
  @ApiProperty(optionalUuid) painReportId: string | null;
  @ApiProperty(optionalUuid) sessionId: string | null;
  @ApiProperty(optionalUuid) questionnaireId: string | null;
  @ApiProperty() createdAt: Date;
}

export class ExportAlertDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty() rule: string;
  @ApiProperty() severity: string;
  @ApiProperty() status: string;
  @ApiProperty(uuid) findingId: string;
  @ApiProperty(uuid) lastFindingId: string;
  @ApiProperty() findingCount: number;
  @ApiProperty() escalationCount: number;
  @ApiProperty(optionalTime) escalatedAt: Date | null;
  @ApiProperty(optionalTime) acknowledgedAt: Date | null;
  @ApiProperty(optionalUuid) acknowledgedByKeyId: string | null;
  @ApiProperty(optionalTime) resolvedAt: Date | null;
  @ApiProperty(optionalUuid) resolvedByKeyId: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class ExportActivityImportDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty() format: string;
  @ApiProperty() status: string;
  @ApiProperty() byteSize: number;
  @ApiProperty() received: number;
  @ApiProperty() inserted: number;
  @ApiProperty() updated: number;
  @ApiProperty() duplicates: number;
  @ApiProperty() rejected: number;
  @ApiProperty() painReports: number;
  @ApiProperty({ type: 'array', items: json }) errors: Record<string, unknown>[];
  @ApiProperty(optionalText) failureReason: string | null;
  @ApiProperty(optionalUuid) createdByKeyId: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty(optionalTime) startedAt: Date | null;
  @ApiProperty(optionalTime) completedAt: Date | null;
}

export class ExportActivitySourceDto {
  @ApiProperty() sourceKey: string;
  @ApiProperty() name: string;
  @ApiProperty(optionalText) device: string | null;
  @ApiProperty(optionalText) account: string | null;
  @ApiProperty(optionalTime) lastSampleEnd: Date | null;
  @ApiProperty(optionalTime) lastImportAt: Date | null;
}

export class ExportActivityDayDto {
  @ApiProperty({ format: 'date', description: 'The patient-local day' }) date: string;
  @ApiProperty() steps: number;
  @ApiProperty() activeMinutes: number;
  @ApiProperty() manualSteps: number;
  @ApiProperty() sampleCount: number;
  @ApiProperty({ type: 'array', items: json, description: 'Each source’s own figure' })
  sources: Record<string, unknown>[];
  @ApiProperty() updatedAt: Date;
}

export class ExportActivitySampleDto {
  @ApiProperty() sourceKey: string;
  @ApiProperty() start: Date;
  @ApiProperty() end: Date;
  @ApiProperty() steps: number;
  @ApiProperty({ type: Number, nullable: true }) activeMinutes: number | null;
  @ApiProperty(optionalText) activityType: string | null;
  @ApiProperty({ description: 'Entered by hand' }) manual: boolean;
  @ApiProperty({ enum: ['interval', 'day', 'point'] }) granularity: string;
  @ApiProperty(optionalUuid) importId: string | null;
  @ApiProperty({ ...optionalText, description: 'The source’s own id of the record' })
  recordId: string | null;
  @ApiProperty() revision: number;
  @ApiProperty(optionalTime) receivedAt: Date | null;
}

export class ExportActivityDto {
  @ApiProperty({
    type: [ExportActivityImportDto],
    description: 'Imports and their counts (the raw payloads are not kept once imported)',
  })
  imports: ExportActivityImportDto[];
  @ApiProperty({ type: [ExportActivitySourceDto] }) sources: ExportActivitySourceDto[];
  @ApiProperty({ type: [ExportActivityDayDto] }) daily: ExportActivityDayDto[];
  @ApiProperty({ type: [ExportActivitySampleDto], description: 'Every sample, in time order' })
  samples: ExportActivitySampleDto[];
}

export class ExportAdherenceWeekDto {
  @ApiProperty({ format: 'date' }) weekStart: string;
  @ApiProperty() prescribedSessions: number;
  @ApiProperty() completedSessions: number;
  @ApiProperty() walkingGoalDays: number;
  @ApiProperty() walkingDaysMet: number;
  @ApiProperty() activeDays: number;
  @ApiProperty() dataDays: number;
  @ApiProperty() computedAt: Date;
}

export class ExportProgressDto {
  @ApiProperty({ format: 'date' }) asOf: string;
  @ApiProperty({ type: 'array', items: json }) flags: Record<string, unknown>[];
  @ApiProperty() dataDays30: number;
  @ApiProperty(optionalText) remoteMonitoringCode: string | null;
  @ApiProperty() computedAt: Date;
}

export class ExportAdherenceDto {
  @ApiProperty({ type: [ExportAdherenceWeekDto] }) weeks: ExportAdherenceWeekDto[];
  @ApiProperty({
    type: ExportProgressDto,
    nullable: true,
    description: 'The progression flags of the worker’s last run',
  })
  progress: ExportProgressDto | null;
}

export class ExportRtmEpisodeDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty({ format: 'date' }) startDate: string;
  @ApiProperty(optionalDate) endDate: string | null;
  @ApiProperty(optionalUuid) createdByKeyId: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty(optionalTime) endedAt: Date | null;
  @ApiProperty(optionalUuid) endedByKeyId: string | null;
}

export class ExportCareTimeDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty(uuid) clinicianId: string;
  @ApiProperty() startedAt: Date;
  @ApiProperty({ format: 'date' }) localDate: string;
  @ApiProperty({ type: 'integer' }) minutes: number;
  @ApiProperty() interactive: boolean;
  @ApiProperty() kind: string;
  @ApiProperty(optionalText) note: string | null;
  @ApiProperty(optionalUuid) createdByKeyId: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty(optionalTime) voidedAt: Date | null;
  @ApiProperty(optionalText) voidReason: string | null;
  @ApiProperty(optionalUuid) voidedByKeyId: string | null;
}

export class ExportRemoteMonitoringDto {
  @ApiProperty({ type: [ExportRtmEpisodeDto] }) episodes: ExportRtmEpisodeDto[];
  @ApiProperty({ type: [ExportCareTimeDto] }) careTime: ExportCareTimeDto[];
}

export class ExportWorklistEntryDto {
  @ApiProperty(optionalUuid) clinicianId: string | null;
  @ApiProperty({ description: '0 urgent, 1 attention, 2 routine' }) band: number;
  @ApiProperty() score: number;
  @ApiProperty(optionalTime) oldestUrgentAlertAt: Date | null;
  @ApiProperty({ type: 'array', items: json }) reasons: Record<string, unknown>[];
  @ApiProperty(optionalText) rtmMonth: string | null;
  @ApiProperty({ type: [String] }) rtmCodes: string[];
  @ApiProperty() computedAt: Date;
}

export class ExportConnectionDto {
  @ApiProperty(uuid) id: string;
  @ApiProperty({ enum: ['google-health', 'withings'] }) provider: string;
  @ApiProperty({ enum: ['pending', 'connected', 'error', 'revoked'] }) status: string;
  @ApiProperty({ ...optionalText, description: 'The account’s id at the provider' })
  providerUserId: string | null;
  @ApiProperty(optionalText) scope: string | null;
  @ApiProperty(optionalUuid) createdByKeyId: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty(optionalTime) connectedAt: Date | null;
  @ApiProperty(optionalTime) backfilledAt: Date | null;
  @ApiProperty(optionalTime) lastSyncAt: Date | null;
  @ApiProperty(optionalText) lastError: string | null;
  @ApiProperty(optionalTime) revokedAt: Date | null;
  @ApiProperty() updatedAt: Date;
}

export class ExportAuditEntryDto {
  @ApiProperty() id: string;
  @ApiProperty() occurredAt: Date;
  @ApiProperty(optionalUuid) apiKeyId: string | null;
  @ApiProperty(optionalText) actorRole: string | null;
  @ApiProperty({ example: 'patient.read' }) action: string;
  @ApiProperty(optionalUuid) resourceId: string | null;
  @ApiProperty({
    enum: ['success', 'denied', 'not_found', 'unauthenticated', 'forbidden', 'rejected', 'error'],
  })
  outcome: string;
  @ApiProperty() status: number;
  @ApiProperty(optionalText) requestId: string | null;
}

export class PatientExportDto {
  @ApiProperty({ example: 1, description: 'The version of this document’s shape' })
  version: number;
  @ApiProperty() exportedAt: Date;
  @ApiProperty({ type: PatientDto }) patient: PatientDto;
  @ApiProperty({ type: [ExportEnrollmentDto], description: 'Apps the patient consented to' })
  enrollments: ExportEnrollmentDto[];
  @ApiProperty({ type: [ExportProgramDto], description: 'Every version, with items and holds' })
  programs: ExportProgramDto[];
  @ApiProperty({ type: [ExportSessionDto] }) sessions: ExportSessionDto[];
  @ApiProperty({ type: [ExportPainReportDto] }) painReports: ExportPainReportDto[];
  @ApiProperty({ type: [ExportQuestionnaireDto] }) questionnaires: ExportQuestionnaireDto[];
  @ApiProperty({ type: [ExportFindingDto], description: 'What the rules concluded' })
  findings: ExportFindingDto[];
  @ApiProperty({ type: [ExportAlertDto] }) alerts: ExportAlertDto[];
  @ApiProperty({ type: ExportActivityDto }) activity: ExportActivityDto;
  @ApiProperty({ type: ExportAdherenceDto }) adherence: ExportAdherenceDto;
  @ApiProperty({ type: ExportRemoteMonitoringDto }) remoteMonitoring: ExportRemoteMonitoringDto;
  @ApiProperty({ type: ExportWorklistEntryDto, nullable: true })
  worklist: ExportWorklistEntryDto | null;
  @ApiProperty({
    type: [ExportConnectionDto],
    description: 'Wearable-cloud accounts (never their tokens)',
  })
  connections: ExportConnectionDto[];
  @ApiProperty({
    type: [ExportAuditEntryDto],
    description: 'The organization’s audit rows about the patient: who read or wrote what, when',
  })
  audit: ExportAuditEntryDto[];
  @ApiProperty({
    ...json,
    description:
      'The same record as FHIR R4: a searchset Bundle of everything Patient/{id}/$everything answers, unpaged',
  })
  fhir: Record<string, unknown>;
}
