import { Injectable } from '@nestjs/common';
import { Db, prepared, runPrepared } from '../db.service';

/**
 * One kind of row an export reads: its columns as the export shows them (on alias `t`, which
 * has `organization_id` and `patient_id`), and the key it is read in order of, a page at a time.
 * Secrets are never among the columns: no token, verifier, request hash or raw payload.
 */
interface ExportSource {
  from: string;
  columns: string;
  /** Key expressions with their SQL types: the order, and where the next page starts. */
  keys: readonly (readonly [expression: string, type: string])[];
}

const SOURCES = {
  enrollments: {
    from: 'enrollments t',
    columns: `t.client_app_id AS "clientAppId", t.consented_at AS "consentedAt", t.revoked_at AS "revokedAt"`,
    keys: [['t.client_app_id', 'uuid']],
  },
  programs: {
    from: 'programs t',
    columns: `t.id, t.version, t.status, t.status_reason AS "statusReason",
      t.status_changed_at AS "statusChangedAt", t.start_date::text AS "startDate",
      t.walking_goal_daily_steps AS "walkingGoalDailySteps", t.rest_gap_days AS "restGapDays",
      t.supersedes_program_id AS "supersedesProgramId", t.superseded_at AS "supersededAt",
      t.created_by_key_id AS "createdByKeyId", t.created_at AS "createdAt",
      (SELECT coalesce(json_agg(json_build_object('position', i.position, 'exerciseCode', i.exercise_code,
                'sets', i.sets, 'reps', i.reps, 'repsGoal', i.reps_goal, 'holdSeconds', i.hold_seconds,
                'holdGoalSeconds', i.hold_goal_seconds, 'durationMinutes', i.duration_minutes,
                'timesPerDay', i.times_per_day, 'daysPerWeek', i.days_per_week) ORDER BY i.position), '[]')
       FROM program_items i WHERE i.organization_id = t.organization_id AND i.program_id = t.id) AS items,
      (SELECT coalesce(json_agg(json_build_object('id', h.id, 'status', h.status, 'reason', h.reason,
                'startedAt', h.started_at, 'endedAt', h.ended_at) ORDER BY h.started_at, h.id), '[]')
       FROM program_holds h WHERE h.organization_id = t.organization_id AND h.program_id = t.id) AS holds`,
    keys: [['t.version', 'int']],
  },
  sessions: {
    from: 'sessions t',
    columns: `t.id, t.program_id AS "programId", t.client_ref AS "clientRef", t.performed_at AS "performedAt",
      t.local_date::text AS "localDate", t.duration_minutes AS "durationMinutes", t.items,
      t.created_by_key_id AS "createdByKeyId", t.created_at AS "createdAt"`,
    keys: [
      ['t.performed_at', 'timestamptz'],
      ['t.id', 'uuid'],
    ],
  },
  painReports: {
    from: 'pain_reports t',
    columns: `t.id, t.client_ref AS "clientRef", t.session_id AS "sessionId", t.reported_at AS "reportedAt",
      t.local_date::text AS "localDate", t.intensity, t.most_distal_site AS "mostDistalSite", t.side,
      t.context, t.red_flags AS "redFlags", t.odi, t.created_by_key_id AS "createdByKeyId",
      t.created_at AS "createdAt"`,
    keys: [
      ['t.reported_at', 'timestamptz'],
      ['t.id', 'uuid'],
    ],
  },
  questionnaires: {
    from: 'questionnaires t',
    columns: `t.id, t.instrument, t.completed_at AS "completedAt", t.local_date::text AS "localDate",
      t.answers, t.score, t.created_by_key_id AS "createdByKeyId", t.created_at AS "createdAt"`,
    keys: [
      ['t.completed_at', 'timestamptz'],
      ['t.id', 'uuid'],
    ],
  },
  findings: {
    from: 'findings t',
    columns: `t.id, t.rule, t.severity, t.action, t.program_effect AS "programEffect", t.evidence,
      t.pain_report_id AS "painReportId", t.session_id AS "sessionId",
      t.questionnaire_id AS "questionnaireId", t.created_at AS "createdAt"`,
    keys: [
      ['t.created_at', 'timestamptz'],
      ['t.id', 'uuid'],
    ],
  },
  alerts: {
    from: 'alerts t',
    columns: `t.id, t.rule, t.severity, t.status, t.finding_id AS "findingId",
      t.last_finding_id AS "lastFindingId", t.finding_count AS "findingCount",
      t.escalation_count AS "escalationCount", t.escalated_at AS "escalatedAt",
      t.acknowledged_at AS "acknowledgedAt", t.acknowledged_by_key_id AS "acknowledgedByKeyId",
      t.resolved_at AS "resolvedAt", t.resolved_by_key_id AS "resolvedByKeyId",
      t.created_at AS "createdAt", t.updated_at AS "updatedAt"`,
    keys: [
      ['t.created_at', 'timestamptz'],
      ['t.id', 'uuid'],
    ],
  },
  activityImports: {
    from: 'activity_imports t',
    columns: `t.id, t.format, t.status, t.byte_size::float8 AS "byteSize", t.received, t.inserted,
      t.updated, t.duplicates, t.rejected, t.pain_reports AS "painReports", t.errors,
      t.failure_reason AS "failureReason", t.created_by_key_id AS "createdByKeyId",
      t.created_at AS "createdAt", t.started_at AS "startedAt", t.completed_at AS "completedAt"`,
    keys: [
      ['t.created_at', 'timestamptz'],
      ['t.id', 'uuid'],
    ],
  },
  activitySources: {
    from: 'activity_sources t',
    columns: `t.source_key AS "sourceKey", t.name, t.device, t.account,
      t.last_sample_end AS "lastSampleEnd", t.last_import_at AS "lastImportAt"`,
    keys: [['t.source_key', 'text']],
  },
  activityDaily: {
    from: 'activity_daily t',
    columns: `t.local_date::text AS "date", t.steps, t.active_minutes AS "activeMinutes",
      t.manual_steps AS "manualSteps", t.sample_count AS "sampleCount", t.sources,
      t.updated_at AS "updatedAt"`,
    keys: [['t.local_date', 'date']],
  },
  // In the primary key's order: a page is one range of its index, however many samples.
  activitySamples: {
    from: 'activity_samples t',
    columns: `t.source_key AS "sourceKey", t.start_at AS "start", t.end_at AS "end", t.steps,
      t.active_minutes AS "activeMinutes", t.activity_type AS "activityType", t.manual, t.granularity,
      t.import_id AS "importId", nullif(t.record_id, '') AS "recordId", t.revision::float8 AS revision,
      t.received_at AS "receivedAt"`,
    keys: [
      ['t.start_at', 'timestamptz'],
      ['t.source_key', 'text'],
      ['t.end_at', 'timestamptz'],
      ['t.record_id', 'text'],
    ],
  },
  adherenceWeeks: {
    from: 'adherence_weeks t',
    columns: `t.week_start::text AS "weekStart", t.prescribed_sessions AS "prescribedSessions",
      t.completed_sessions AS "completedSessions", t.walking_goal_days AS "walkingGoalDays",
      t.walking_days_met AS "walkingDaysMet", t.active_days AS "activeDays", t.data_days AS "dataDays",
      t.computed_at AS "computedAt"`,
    keys: [['t.week_start', 'date']],
  },
  progress: {
    from: 'patient_progress t',
    columns: `t.as_of::text AS "asOf", t.flags, t.data_days_30 AS "dataDays30",
      t.remote_monitoring_code AS "remoteMonitoringCode", t.computed_at AS "computedAt"`,
    keys: [['t.as_of', 'date']],
  },
  rtmEpisodes: {
    from: 'rtm_episodes t',
    columns: `t.id, t.start_date::text AS "startDate", t.end_date::text AS "endDate",
      t.created_by_key_id AS "createdByKeyId", t.created_at AS "createdAt", t.ended_at AS "endedAt",
      t.ended_by_key_id AS "endedByKeyId"`,
    keys: [
      ['t.start_date', 'date'],
      ['t.id', 'uuid'],
    ],
  },
  careTime: {
    from: 'care_time_entries t',
    columns: `t.id, t.clinician_id AS "clinicianId", t.started_at AS "startedAt",
      t.local_date::text AS "localDate", t.minutes, t.interactive, t.kind, t.note,
      t.created_by_key_id AS "createdByKeyId", t.created_at AS "createdAt", t.voided_at AS "voidedAt",
      t.void_reason AS "voidReason", t.voided_by_key_id AS "voidedByKeyId"`,
    keys: [
      ['t.started_at', 'timestamptz'],
      ['t.id', 'uuid'],
    ],
  },
  worklist: {
    from: 'worklist_entries t',
    columns: `t.clinician_id AS "clinicianId", t.band, t.score,
      CASE WHEN isfinite(t.oldest_urgent_at) THEN t.oldest_urgent_at END AS "oldestUrgentAlertAt",
      t.reasons, t.rtm_month AS "rtmMonth", t.rtm_codes AS "rtmCodes", t.computed_at AS "computedAt"`,
    keys: [['t.patient_id', 'uuid']],
  },
  // Never a token, the PKCE verifier, the pull's cursor or lease: what the account is and did.
  connections: {
    from: 'wearable_connections t',
    columns: `t.id, t.provider, t.status, t.provider_user_id AS "providerUserId", t.scope,
      t.created_by_key_id AS "createdByKeyId", t.created_at AS "createdAt",
      t.connected_at AS "connectedAt", t.backfilled_at AS "backfilledAt", t.last_sync_at AS "lastSyncAt",
      t.last_error AS "lastError", t.revoked_at AS "revokedAt", t.updated_at AS "updatedAt"`,
    keys: [
      ['t.created_at', 'timestamptz'],
      ['t.id', 'uuid'],
    ],
  },
  // The organization's own rows about the patient (a denied attempt by another organization's
  // key is that organization's row).
  audit: {
    from: 'audit_log t',
    columns: `t.id::text AS id, t.occurred_at AS "occurredAt", t.api_key_id AS "apiKeyId",
      t.actor_role AS "actorRole", t.action, t.resource_id AS "resourceId", t.outcome, t.status,
      t.request_id AS "requestId"`,
    keys: [
      ['t.occurred_at', 'timestamptz'],
      ['t.id', 'bigint'],
    ],
  },
} satisfies Record<string, ExportSource>;

export type PatientExportSection = keyof typeof SOURCES;
export const PATIENT_EXPORT_SECTIONS = Object.keys(SOURCES) as PatientExportSection[];

/** A page of a section, and where the next one starts (null after the last). */
export interface ExportPage {
  rows: Record<string, unknown>[];
  after: string[] | null;
}

function pageSql(source: ExportSource, seek: boolean): string {
  const keys = source.keys.map(([expression]) => expression);
  const bound = source.keys.map(([, type], i) => `$${i + 4}::${type}`);
  return `SELECT ${source.columns}, jsonb_build_array(${keys.map((k) => `${k}::text`).join(', ')}) AS "__after"
    FROM ${source.from}
    WHERE t.organization_id = $1 AND t.patient_id = $2::uuid
      ${seek ? `AND (${keys.join(', ')}) > (${bound.join(', ')})` : ''}
    ORDER BY ${keys.join(', ')} LIMIT $3`;
}

/**
 * What an organization holds about one patient, section by section, each read in key order a
 * page at a time (keyset), so that an export of years of minute samples streams in bounded
 * memory without holding a connection between pages.
 */
@Injectable()
export class PatientExportRepository {
  constructor(private readonly db: Db) {}

  async page(
    section: PatientExportSection,
    organizationId: string,
    patientId: string,
    after: readonly string[] | null,
    limit: number,
  ): Promise<ExportPage> {
    const source: ExportSource = SOURCES[section];
    const rows = await runPrepared<Record<string, unknown> & { __after: string[] }>(
      this.db.current,
      prepared(pageSql(source, after !== null)),
      [organizationId, patientId, limit, ...(after ?? [])],
    );
    const last = rows.at(-1);
    return {
      rows: rows.map(({ __after: _, ...row }) => row),
      after: rows.length === limit && last ? last.__after : null,
    };
  }
}
