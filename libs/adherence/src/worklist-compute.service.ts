import {
  type LocalDay,
  parseRtmMonth,
  type RtmLedger,
  rtmDataDayOf,
  rtmLedger,
  rtmCodesMet,
  worklistEntry,
  worklistRtmRisks,
} from '@app/domain';
import {
  AdherenceRepository,
  Db,
  type PatientZone,
  RtmRepository,
  WorklistRepository,
} from '@app/persistence';
import { Injectable } from '@nestjs/common';

/**
 * The clinician worklist (docs/worklist.md), recomputed by the worker for the patients whose
 * adherence it recomputes: when their records, alerts, programs or care time change (the
 * adherence marks) and at each local midnight (the hourly periods). A handful of statements per
 * batch: the facts, per organization the RTM inputs, and one upsert that also queues the
 * `worklist.escalated` events.
 */
@Injectable()
export class WorklistComputeService {
  constructor(
    private readonly db: Db,
    private readonly worklist: WorklistRepository,
    private readonly rtm: RtmRepository,
    private readonly adherence: AdherenceRepository,
  ) {}

  async compute(
    zones: readonly PatientZone[],
    today: ReadonlyMap<string, LocalDay>,
    dataGapSince: ReadonlyMap<string, LocalDay>,
    now: Date,
  ): Promise<{ written: number; escalated: number }> {
    if (zones.length === 0) return { written: 0, escalated: 0 };
    const on = this.db.current;
    const facts = await this.worklist.facts(on, zones);
    const ledgers = await this.ledgers(zones, today);
    const entries = facts.map((f) => {
      const { ledger, monitored } = ledgers.get(f.patientId) ?? { ledger: null, monitored: false };
      return {
        organizationId: f.organizationId,
        patientId: f.patientId,
        clinicianId: f.clinicianId,
        rtmMonth: (today.get(f.patientId) as LocalDay).slice(0, 7),
        rtmCodes: ledger ? rtmCodesMet(ledger) : [],
        ...worklistEntry(
          {
            openAlerts: f.openAlerts,
            programHold: f.programHold,
            dataGapSince: dataGapSince.get(f.patientId) ?? null,
            rtmRisks: ledger ? worklistRtmRisks(ledger, today.get(f.patientId) as LocalDay) : [],
            monitored,
            lastReviewAt: f.lastReviewAt,
            enrolledAt: f.enrolledAt,
            startBack: f.startBack,
            startBackAt: f.startBackAt,
          },
          now,
        ),
      };
    });
    return this.worklist.store(on, entries, now);
  }

  /**
   * The current month's RTM ledger of each patient of the batch with an episode in it, and
   * whether one is still open (monitored today).
   */
  private async ledgers(
    zones: readonly PatientZone[],
    today: ReadonlyMap<string, LocalDay>,
  ): Promise<Map<string, { ledger: RtmLedger; monitored: boolean }>> {
    const out = new Map<string, { ledger: RtmLedger; monitored: boolean }>();
    const byOrganization = new Map<string, PatientZone[]>();
    for (const z of zones) {
      byOrganization.set(z.organizationId, [...(byOrganization.get(z.organizationId) ?? []), z]);
    }
    // Every organization's settings of the batch in one statement.
    const settings = await this.adherence.organizationSettings([...byOrganization.keys()]);
    for (const [organizationId, ofOrganization] of byOrganization) {
      // Patients of one organization may be in months of their own (zones either side of a
      // month's end): the inputs cover every one of those months.
      const months = ofOrganization.map((z) => (today.get(z.patientId) as LocalDay).slice(0, 7));
      const bounds = [...new Set(months)].map((m) => parseRtmMonth(m)!);
      const range = {
        first: bounds.map((b) => b.first).sort()[0],
        last: bounds
          .map((b) => b.last)
          .sort()
          .reverse()[0],
      };
      const kind = rtmDataDayOf(settings.get(organizationId) ?? {});
      const inputs = await this.rtm.ledgerInputs(
        this.db.current,
        organizationId,
        ofOrganization.map((z) => z.patientId),
        range,
        kind,
      );
      for (const z of ofOrganization) {
        const day = today.get(z.patientId) as LocalDay;
        const month = day.slice(0, 7);
        const { first, last } = parseRtmMonth(month)!;
        const episodes = (inputs.episodes.get(z.patientId) ?? []).filter(
          (e) => e.startDate <= last && (e.endDate === null || e.endDate >= first),
        );
        if (episodes.length === 0) continue;
        out.set(z.patientId, {
          ledger: rtmLedger({
            month,
            timezone: z.timezone,
            today: day,
            episodes,
            dataDays: inputs.dataDays.get(z.patientId) ?? [],
            careTime: inputs.careTime.get(z.patientId) ?? [],
          }),
          monitored: episodes.some((e) => e.endDate === null || e.endDate >= day),
        });
      }
    }
    return out;
  }
}
