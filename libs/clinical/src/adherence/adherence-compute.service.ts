import {
  addDays,
  DEFAULT_ADHERENCE_SETTINGS,
  evaluateProgressionFlags,
  evaluationDay,
  remoteMonitoringEligibility,
  type AdherenceSettings,
  type LocalDay,
} from '@app/domain';
import {
  ADHERENCE_WEEKS_SQL,
  AdherenceInputsRepository,
  Db,
  type PatientRef,
} from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { adherenceSettingsOf } from '../rule-settings.service';

/**
 * How far back the flags look. The longest window of clinical-rules §5 is PROGRAM_DOSE_MET's
 * four weeks (plus the running one) and LOW_ACTIVITY's 28-day baseline. A rest or data gap
 * longer than this is still flagged, but the days before the window hold no records as loaded,
 * so such a gap's evidence reaches back to the program start (its length is then an upper bound).
 */
export const FLAG_WINDOW_DAYS = 42;
/** What a scheduled run recomputes of the weekly figures: the running week and the two before. */
export const RECENT_WEEKS_DAYS = 14;
const BILLING_PERIOD_DAYS = 30;
/** Patients whose flags are computed together: bounds the records held in memory at once. */
export const FLAG_SLICE_PATIENTS = 250;

export interface ComputeOptions {
  /** The first local day whose week is recomputed; the default is RECENT_WEEKS_DAYS back. */
  readonly weeksFrom?: LocalDay;
  /** The thresholds for every patient; by default each organization's own. */
  readonly settings?: AdherenceSettings;
  /** The transaction to write in (the caller's claim commits with the results). */
  readonly manager?: EntityManager;
}

/**
 * Adherence of a batch of patients as of `now`, each in their own zone: the weekly figures in
 * one set-based statement, and the current progression flags from the domain functions over
 * records loaded in six statements for the whole batch. Results equal to those stored are
 * not rewritten: computing a batch twice changes no row.
 */
@Injectable()
export class AdherenceComputeService {
  constructor(
    private readonly db: Db,
    private readonly inputs: AdherenceInputsRepository,
  ) {}

  async compute(
    patients: readonly PatientRef[],
    now: Date,
    options: ComputeOptions = {},
  ): Promise<number> {
    if (patients.length === 0) return 0;
    const m = options.manager ?? this.db.manager;
    const zones = await m.query<{ organization_id: string; id: string; timezone: string }[]>(
      `SELECT pa.organization_id, pa.id, pa.timezone
       FROM unnest($1::uuid[], $2::uuid[]) AS b(organization_id, patient_id)
       JOIN patients pa ON pa.organization_id = b.organization_id AND pa.id = b.patient_id`,
      [patients.map((p) => p.organizationId), patients.map((p) => p.patientId)],
    );
    if (zones.length === 0) return 0;
    const today = new Map(zones.map((z) => [z.id, evaluationDay(now, z.timezone)]));
    const earliest = [...today.values()].sort()[0];
    const settingsOf = await this.settingsByOrganization(m, zones, options.settings);

    await m.query(ADHERENCE_WEEKS_SQL, [
      zones.map((z) => z.organization_id),
      zones.map((z) => z.id),
      options.weeksFrom ?? addDays(earliest, -RECENT_WEEKS_DAYS),
      zones.map((z) => addDays(today.get(z.id) as LocalDay, -1)),
      zones.map((z) => settingsOf(z.organization_id).activeDayStepPercent),
    ]);

    // Flags in slices: a chunk's records, parsed, would otherwise grow with the chunk (and the
    // worker's heap is bounded), while each slice is still a handful of statements.
    for (let i = 0; i < zones.length; i += FLAG_SLICE_PATIENTS) {
      await this.storeFlags(m, zones.slice(i, i + FLAG_SLICE_PATIENTS), today, settingsOf);
    }
    return zones.length;
  }

  /** The thresholds of each organization of the batch (its overrides of the defaults). */
  private async settingsByOrganization(
    m: EntityManager,
    zones: readonly { organization_id: string }[],
    given: AdherenceSettings | undefined,
  ): Promise<(organizationId: string) => AdherenceSettings> {
    if (given) return () => given;
    const rows = await m.query<{ id: string; settings: Record<string, unknown> }[]>(
      `SELECT id, settings FROM organizations WHERE id = ANY($1::uuid[])`,
      [[...new Set(zones.map((z) => z.organization_id))]],
    );
    const byId = new Map(rows.map((r) => [r.id, adherenceSettingsOf(r.settings)]));
    return (organizationId) => byId.get(organizationId) ?? DEFAULT_ADHERENCE_SETTINGS;
  }

  private async storeFlags(
    m: EntityManager,
    zones: readonly { organization_id: string; id: string }[],
    today: ReadonlyMap<string, LocalDay>,
    settingsOf: (organizationId: string) => AdherenceSettings,
  ): Promise<void> {
    const days = zones.map((z) => today.get(z.id) as LocalDay).sort();
    const inputs = await this.inputs.load(
      zones.map((z) => ({ organizationId: z.organization_id, patientId: z.id })),
      addDays(days[0], -FLAG_WINDOW_DAYS),
      days[days.length - 1],
      // Doses of a few more sessions than the flags read: a session dated after a patient's
      // own today (clock skew) is dropped by the flags and must not leave a gap.
      {
        recentItems:
          Math.max(...zones.map((z) => settingsOf(z.organization_id).progressionSessions)) + 2,
      },
      m,
    );
    const rows = inputs.map((p) => {
      const day = today.get(p.patientId) as LocalDay;
      const settings = settingsOf(p.organizationId);
      const eligibility = remoteMonitoringEligibility(p.input, addDays(day, -BILLING_PERIOD_DAYS));
      return {
        organizationId: p.organizationId,
        patientId: p.patientId,
        asOf: day,
        flags: evaluateProgressionFlags(p.input, settings, day),
        dataDays: eligibility.dataDays,
        code: eligibility.code,
      };
    });
    // Never back in time: a late period (as of its hour) leaves a newer computation standing.
    await m.query(
      `INSERT INTO patient_progress AS p (organization_id, patient_id, as_of, flags, data_days_30, remote_monitoring_code, computed_at)
       SELECT o, pid, as_of, flags, data_days, code, now()
       FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::jsonb[], $5::int[], $6::text[])
         AS t(o, pid, as_of, flags, data_days, code)
       ON CONFLICT (organization_id, patient_id) DO UPDATE
         SET as_of = EXCLUDED.as_of, flags = EXCLUDED.flags, data_days_30 = EXCLUDED.data_days_30,
             remote_monitoring_code = EXCLUDED.remote_monitoring_code, computed_at = now()
         WHERE p.as_of <= EXCLUDED.as_of
           AND (p.as_of, p.flags, p.data_days_30, p.remote_monitoring_code)
               IS DISTINCT FROM (EXCLUDED.as_of, EXCLUDED.flags, EXCLUDED.data_days_30, EXCLUDED.remote_monitoring_code)`,
      [
        rows.map((r) => r.organizationId),
        rows.map((r) => r.patientId),
        rows.map((r) => r.asOf),
        rows.map((r) => JSON.stringify(r.flags)),
        rows.map((r) => r.dataDays),
        rows.map((r) => r.code),
      ],
    );
  }
}
