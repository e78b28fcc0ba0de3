/**
 * The tables that have no entity, column by column as the migrations create them
 * (`format_type` spelling, `not null` where the column is NOT NULL). They are written only by
 * set-based statements in the repositories (COPY-sized inserts, rollups, claims), where an
 * entity would add nothing but a second description to keep in step.
 *
 * test/schema.e2e-spec.ts holds the schema to this list and the entities together: every table
 * of the migrated database is an entity's or declared here, never both, and a declared table's
 * columns are exactly these. A migration that adds, drops or changes a column of one of these
 * tables changes this list in the same commit.
 */
export const TABLES_WITHOUT_ENTITY: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  activity_dirty_days: {
    organization_id: 'uuid not null',
    patient_id: 'uuid not null',
    local_date: 'date not null',
    marked_at: 'timestamp with time zone not null',
  },
  activity_import_chunks: {
    import_id: 'uuid not null',
    seq: 'integer not null',
    data: 'bytea not null',
  },
  activity_samples: {
    organization_id: 'uuid not null',
    patient_id: 'uuid not null',
    source_key: 'text not null',
    start_at: 'timestamp with time zone not null',
    end_at: 'timestamp with time zone not null',
    steps: 'integer not null',
    active_minutes: 'real',
    activity_type: 'text',
    manual: 'boolean not null',
    granularity: 'text not null',
    import_id: 'uuid',
    record_id: 'text not null',
    revision: 'bigint not null',
    received_at: 'timestamp with time zone',
  },
  adherence_dirty: {
    organization_id: 'uuid not null',
    patient_id: 'uuid not null',
    marked_at: 'timestamp with time zone not null',
  },
  adherence_period_chunks: {
    period: 'text not null',
    chunk: 'integer not null',
    patients: 'integer not null',
    completed_at: 'timestamp with time zone not null',
  },
  adherence_periods: {
    period: 'text not null',
    chunks: 'integer not null',
    chunks_done: 'integer not null',
    patients: 'integer not null',
    started_at: 'timestamp with time zone not null',
    completed_at: 'timestamp with time zone',
  },
  adherence_weeks: {
    organization_id: 'uuid not null',
    patient_id: 'uuid not null',
    week_start: 'date not null',
    prescribed_sessions: 'integer not null',
    completed_sessions: 'integer not null',
    walking_goal_days: 'smallint not null',
    walking_days_met: 'smallint not null',
    active_days: 'smallint not null',
    data_days: 'smallint not null',
    computed_at: 'timestamp with time zone not null',
  },
  outbox: {
    id: 'uuid not null',
    organization_id: 'uuid not null',
    event_type: 'text not null',
    payload: 'jsonb not null',
    created_at: 'timestamp with time zone not null',
    relayed_at: 'timestamp with time zone',
    fanned_out_at: 'timestamp with time zone',
  },
  patient_progress: {
    organization_id: 'uuid not null',
    patient_id: 'uuid not null',
    as_of: 'date not null',
    flags: 'jsonb not null',
    data_days_30: 'smallint not null',
    remote_monitoring_code: 'text',
    computed_at: 'timestamp with time zone not null',
  },
  program_holds: {
    id: 'uuid not null',
    organization_id: 'uuid not null',
    program_id: 'uuid not null',
    status: 'text not null',
    reason: 'text not null',
    started_at: 'timestamp with time zone not null',
    ended_at: 'timestamp with time zone',
  },
  worklist_entries: {
    organization_id: 'uuid not null',
    patient_id: 'uuid not null',
    clinician_id: 'uuid',
    band: 'smallint not null',
    score: 'integer not null',
    oldest_urgent_at: 'timestamp with time zone not null',
    reasons: 'jsonb not null',
    rtm_month: 'text',
    rtm_codes: 'text[] not null',
    computed_at: 'timestamp with time zone not null',
  },
};
