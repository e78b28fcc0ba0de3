import { Clock } from '@app/config';
import { adherenceSettingsOf, localDateOf, mondayOf } from '@app/domain';
import {
  AdherenceInputsRepository,
  AdherenceRepository,
  OrganizationsRepository,
} from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { PatientAccessService } from '../patients/patient-access.service';
import type { AdherenceQueryDto, PatientAdherenceDto, PatientFlagsDto } from './adherence.dto';
import { resolveRange } from './day-range';
import { adherenceDays, adherenceWeeks } from './patient-adherence';

@Injectable()
export class AdherenceService {
  constructor(
    private readonly results: AdherenceRepository,
    private readonly inputs: AdherenceInputsRepository,
    private readonly access: PatientAccessService,
    private readonly clock: Clock,
    private readonly organizations: OrganizationsRepository,
  ) {}

  /**
   * Computed on the fly from the records, with the patient's current program, so that it is
   * never behind the last session; the worker's adherence_weeks serve the dashboards.
   */
  async adherence(
    caller: Caller,
    patientId: string,
    query: AdherenceQueryDto,
  ): Promise<PatientAdherenceDto> {
    const patient = await this.access.findVisible(caller, patientId);
    const today = localDateOf(this.clock.now(), patient.timezone);
    const { from, to } = resolveRange(query, today, today);
    // The weeks start on the Monday of `from`: load that week's earlier days too.
    const weeksFrom = mondayOf(from);
    const [loaded] = await this.inputs.load(
      [{ organizationId: patient.organizationId, patientId: patient.id }],
      weeksFrom,
      to,
    );
    // No current program: nothing is prescribed, so there is no adherence to speak of.
    if (!loaded) return { from, to, programStartDate: null, days: [], weeks: [] };
    const settings = adherenceSettingsOf(
      await this.organizations.settingsOf(patient.organizationId),
    );
    return {
      from,
      to,
      programStartDate: loaded.input.program.startDate,
      days: adherenceDays(loaded.input, settings, { from, to }),
      weeks: adherenceWeeks(loaded.input, settings, { from: weeksFrom, to }),
    };
  }

  /** The flags of the worker's last computation (clinical-rules §5); none before the first. */
  async flags(caller: Caller, patientId: string): Promise<PatientFlagsDto> {
    const patient = await this.access.findVisible(caller, patientId);
    const stored = await this.results.progressOf(patient.organizationId, patient.id);
    if (!stored) return { data: [], asOf: null, computedAt: null };
    return {
      data: stored.flags.map(({ flag, since, evidence }) => ({ flag, since, evidence })),
      asOf: stored.asOf,
      computedAt: stored.computedAt,
    };
  }
}
