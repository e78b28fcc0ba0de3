import { Clock } from '@app/config';
import { localDateOf, mondayOf } from '@app/domain';
import { DashboardRepository, type DashboardAdherenceRow } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { resolveRange } from './day-range';
import type {
  DashboardAdherenceDto,
  DashboardAdherenceGroupDto,
  DashboardAdherenceQueryDto,
  DashboardGrouping,
  RemoteMonitoringCountsDto,
} from './dashboard.dto';

function group(
  row: DashboardAdherenceRow & { patients: number },
  groupBy: DashboardGrouping,
): DashboardAdherenceGroupDto {
  const figures = {
    patients: row.patients,
    exerciseAdherence: {
      patients: row.exercise_patients,
      mean: row.exercise_mean,
      median: row.exercise_median,
      shareAtLeast80Percent: row.exercise_share_80,
    },
    walkingAdherence: { patients: row.walking_patients, mean: row.walking_mean },
    dataDaysMean: row.data_days_mean,
  };
  switch (groupBy) {
    case 'week':
      return { weekStart: row.week_start, ...figures };
    case 'clinician':
      return {
        clinician: { id: row.clinician_id as string, name: row.clinician_name as string },
        ...figures,
        remoteMonitoring: {
          patients: row.group_rm_patients ?? 0,
          code98977: row.group_rm_98977 ?? 0,
          code98985: row.group_rm_98985 ?? 0,
          none: row.group_rm_none ?? 0,
        },
        openAlerts: {
          warning: row.group_open_warning ?? 0,
          urgent: row.group_open_urgent ?? 0,
        },
      };
  }
}

@Injectable()
export class DashboardService {
  constructor(
    private readonly dashboard: DashboardRepository,
    private readonly clock: Clock,
  ) {}

  /** Aggregates of the worker's weekly figures for the caller's organization, in one statement. */
  async adherence(
    caller: Caller,
    query: DashboardAdherenceQueryDto,
  ): Promise<DashboardAdherenceDto> {
    const groupBy = query.groupBy ?? 'week';
    // Patients live in many zones; an organization-wide default can only be the UTC day.
    const { from, to } = resolveRange(query, localDateOf(this.clock.now(), 'UTC'));
    // Counted for the organization's UTC month, like its default range.
    const month = localDateOf(this.clock.now(), 'UTC').slice(0, 7);
    const rows =
      groupBy === 'week'
        ? await this.dashboard.adherenceByWeek(caller.organizationId, mondayOf(from), to, month)
        : await this.dashboard.adherenceByClinician(
            caller.organizationId,
            mondayOf(from),
            to,
            month,
          );
    const [first] = rows;
    const remoteMonitoring: RemoteMonitoringCountsDto = {
      patients: first.rm_patients,
      code98977: first.rm_98977,
      code98985: first.rm_98985,
      none: first.rm_none,
    };
    return {
      groupBy,
      from,
      to,
      remoteMonitoring,
      openAlerts: { warning: first.open_warning, urgent: first.open_urgent },
      startBack: { low: first.sb_low, medium: first.sb_medium, high: first.sb_high },
      rtm: {
        month,
        code98975: first.rtm_98975,
        code98977: first.rtm_98977,
        code98985: first.rtm_98985,
        code98979: first.rtm_98979,
        code98980: first.rtm_98980,
        code98981: first.rtm_98981,
      },
      data: rows
        .filter((r): r is DashboardAdherenceRow & { patients: number } => r.patients !== null)
        .map((r) => group(r, groupBy)),
    };
  }
}
