import {
  addDays,
  adherenceSettingsOf,
  DEFAULT_ADHERENCE_SETTINGS,
  evaluateProgressionFlags,
  evaluationDay,
  remoteMonitoringEligibility,
  type AdherenceSettings,
  type LocalDay,
  progressionSessionsRead,
} from '@app/domain';
import {
  AdherenceInputsRepository,
  AdherenceRepository,
  type PatientRef,
  type PatientZone,
} from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { WorklistComputeService } from './worklist-compute.service';

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
}

/**
 * Adherence of a batch of patients as of `now`, each in their own zone: the weekly figures in
 * one set-based statement, and the current progression flags from the domain functions over
 * records loaded a statement per kind for the whole batch. Results equal to those stored are
 * not rewritten: computing a batch twice changes no row. The statements go to the transaction
 * open in the call chain (a chunk's claim commits with its results), else to the pool.
 */
@Injectable()
export class AdherenceComputeService {
  constructor(
    private readonly adherence: AdherenceRepository,
    private readonly inputs: AdherenceInputsRepository,
    private readonly worklist: WorklistComputeService,
  ) {}

  /** As computeZoned, for patients known by their ids only: their zones are looked up. */
  async compute(
    patients: readonly PatientRef[],
    now: Date,
    options: ComputeOptions = {},
  ): Promise<number> {
    if (patients.length === 0) return 0;
    return this.computeZoned(await this.adherence.patientZones(patients), now, options);
  }

  /**
   * Computes patients read with their zones (a chunk's or a batch of marks'), as of `now`;
   * answers how many.
   */
  async computeZoned(
    zones: readonly PatientZone[],
    now: Date,
    options: ComputeOptions = {},
  ): Promise<number> {
    if (zones.length === 0) return 0;
    const today = new Map(zones.map((z) => [z.patientId, evaluationDay(now, z.timezone)]));
    const earliest = [...today.values()].sort()[0];
    const settingsOf = await this.settingsByOrganization(zones, options.settings);

    await this.adherence.upsertWeeks(
      options.weeksFrom ?? addDays(earliest, -RECENT_WEEKS_DAYS),
      zones.map((z) => ({
        organizationId: z.organizationId,
        patientId: z.patientId,
        lastDay: addDays(today.get(z.patientId) as LocalDay, -1),
        activeDayStepPercent: settingsOf(z.organizationId).activeDayStepPercent,
      })),
    );

    // Flags in slices: a chunk's records, parsed, would otherwise grow with the chunk (and the
    // worker's heap is bounded), while each slice is still a handful of statements.
    for (let i = 0; i < zones.length; i += FLAG_SLICE_PATIENTS) {
      await this.storeFlags(zones.slice(i, i + FLAG_SLICE_PATIENTS), today, settingsOf, now);
    }
    return zones.length;
  }

  /** The thresholds of each organization of the batch (its overrides of the defaults). */
  private async settingsByOrganization(
    zones: readonly PatientZone[],
    given: AdherenceSettings | undefined,
  ): Promise<(organizationId: string) => AdherenceSettings> {
    if (given) return () => given;
    const stored = await this.adherence.organizationSettings([
      ...new Set(zones.map((z) => z.organizationId)),
    ]);
    const byId = new Map([...stored].map(([id, settings]) => [id, adherenceSettingsOf(settings)]));
    return (organizationId) => byId.get(organizationId) ?? DEFAULT_ADHERENCE_SETTINGS;
  }

  private async storeFlags(
    zones: readonly PatientZone[],
    today: ReadonlyMap<string, LocalDay>,
    settingsOf: (organizationId: string) => AdherenceSettings,
    now: Date,
  ): Promise<void> {
    const days = zones.map((z) => today.get(z.patientId) as LocalDay).sort();
    const inputs = await this.inputs.load(
      zones,
      addDays(days[0], -FLAG_WINDOW_DAYS),
      days[days.length - 1],
      // Doses of a few more sessions than the flags read (progressionSessionsRead): a session
      // dated after a patient's own today (clock skew) is dropped by the flags and must not
      // leave a gap.
      {
        recentItems:
          Math.max(...zones.map((z) => progressionSessionsRead(settingsOf(z.organizationId)))) + 2,
      },
    );
    const progress = inputs.map((p) => {
      const day = today.get(p.patientId) as LocalDay;
      const eligibility = remoteMonitoringEligibility(p.input, addDays(day, -BILLING_PERIOD_DAYS));
      return {
        organizationId: p.organizationId,
        patientId: p.patientId,
        asOf: day,
        flags: evaluateProgressionFlags(p.input, settingsOf(p.organizationId), day),
        dataDays30: eligibility.dataDays,
        remoteMonitoringCode: eligibility.code,
      };
    });
    await this.adherence.upsertProgress(progress);
    // The worklist of every patient of the slice, with or without a program.
    const dataGapSince = new Map<string, LocalDay>();
    for (const p of progress) {
      const gap = p.flags.find((f) => f.flag === 'DATA_GAP');
      if (gap) dataGapSince.set(p.patientId, gap.since);
    }
    await this.worklist.compute(zones, today, dataGapSince, now);
  }
}
