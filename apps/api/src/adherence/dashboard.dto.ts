import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsCalendarDate } from '../common/validators';

export const DASHBOARD_GROUPINGS = ['week', 'clinician'] as const;
export type DashboardGrouping = (typeof DASHBOARD_GROUPINGS)[number];

export class DashboardAdherenceQueryDto {
  @ApiPropertyOptional({
    format: 'date',
    description: 'A day of the first week (default: 27 days before `to`)',
  })
  @IsOptional()
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({
    format: 'date',
    description: 'A day of the last week (default: today, UTC)',
  })
  @IsOptional()
  @IsCalendarDate()
  to?: string;

  @ApiPropertyOptional({ enum: DASHBOARD_GROUPINGS, default: 'week' })
  @IsOptional()
  @IsIn(DASHBOARD_GROUPINGS)
  groupBy?: DashboardGrouping;
}

export class ExerciseAdherenceSummaryDto {
  @ApiProperty({
    type: 'integer',
    description:
      'Patients with at least one prescribed session in the group (the others are left out of the figures below)',
  })
  patients: number;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Mean of the patients’ ratios completed / prescribed over the group’s weeks (0–1)',
  })
  mean: number | null;

  @ApiProperty({ nullable: true, type: Number, description: 'Median of the same ratios' })
  median: number | null;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Share of these patients at 80 % or more (0–1)',
  })
  shareAtLeast80Percent: number | null;
}

export class WalkingAdherenceSummaryDto {
  @ApiProperty({ type: 'integer', description: 'Patients with a walking goal in the group' })
  patients: number;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Mean of the patients’ ratios days meeting the goal / days with a goal (0–1)',
  })
  mean: number | null;
}

export class RemoteMonitoringCountsDto {
  @ApiProperty({
    type: 'integer',
    description: 'Patients whose data days of the last 30 days have been computed',
  })
  patients: number;

  @ApiProperty({ type: 'integer', description: '16 or more data days: CPT 98977' })
  code98977: number;
  @ApiProperty({ type: 'integer', description: '2 to 15 data days: CPT 98985' }) code98985: number;
  @ApiProperty({ type: 'integer', description: 'Fewer than 2 data days: no code' }) none: number;
}

export class OpenAlertsDto {
  @ApiProperty({ type: 'integer', description: 'Open warning alerts' }) warning: number;
  @ApiProperty({ type: 'integer', description: 'Open urgent alerts' }) urgent: number;
}

export class StartBackCountsDto {
  @ApiProperty({ type: 'integer', description: 'Current stratum low (total 0–3)' }) low: number;
  @ApiProperty({
    type: 'integer',
    description: 'Current stratum medium (total 4 or more, psychosocial 0–3)',
  })
  medium: number;
  @ApiProperty({ type: 'integer', description: 'Current stratum high (psychosocial 4–5)' })
  high: number;
}

export class RtmCodeCountsDto {
  @ApiProperty({ description: 'The month counted (UTC month of the request), YYYY-MM' })
  month: string;
  @ApiProperty({ type: 'integer', description: 'Patients whose set-up (98975) is met this month' })
  code98975: number;
  @ApiProperty({ type: 'integer', description: 'Patients with a device period at 16+ data days' })
  code98977: number;
  @ApiProperty({ type: 'integer', description: 'Patients with a device period at 2–15 data days' })
  code98985: number;
  @ApiProperty({
    type: 'integer',
    description: 'Patients at 10–19 minutes of treatment management',
  })
  code98979: number;
  @ApiProperty({ type: 'integer', description: 'Patients at 20 minutes or more' })
  code98980: number;
  @ApiProperty({ type: 'integer', description: 'Patients with at least one further 20 minutes' })
  code98981: number;
}

export class DashboardClinicianDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
}

export class DashboardAdherenceGroupDto {
  @ApiPropertyOptional({
    format: 'date',
    description: 'groupBy=week: the Monday of the patient-local week',
  })
  weekStart?: string;

  @ApiPropertyOptional({
    type: DashboardClinicianDto,
    description: 'groupBy=clinician: the patients’ assigned clinician',
  })
  clinician?: DashboardClinicianDto;

  @ApiProperty({ type: 'integer', description: 'Patients with computed adherence in the group' })
  patients: number;

  @ApiProperty({ type: ExerciseAdherenceSummaryDto })
  exerciseAdherence: ExerciseAdherenceSummaryDto;

  @ApiProperty({ type: WalkingAdherenceSummaryDto })
  walkingAdherence: WalkingAdherenceSummaryDto;

  @ApiProperty({
    description: 'Mean data days per patient over the group’s weeks (a week: 0–7)',
  })
  dataDaysMean: number;

  @ApiPropertyOptional({
    type: RemoteMonitoringCountsDto,
    description: 'groupBy=clinician: the group’s patients by their current eligibility',
  })
  remoteMonitoring?: RemoteMonitoringCountsDto;

  @ApiPropertyOptional({
    type: OpenAlertsDto,
    description: 'groupBy=clinician: open alerts of the group’s patients, by severity',
  })
  openAlerts?: OpenAlertsDto;
}

export class DashboardAdherenceDto {
  @ApiProperty({ enum: DASHBOARD_GROUPINGS }) groupBy: DashboardGrouping;
  @ApiProperty({ format: 'date' }) from: string;
  @ApiProperty({ format: 'date' }) to: string;

  @ApiProperty({
    type: RemoteMonitoringCountsDto,
    description:
      'The organization’s patients by their current remote-monitoring eligibility (data days in the 30 days to their last computation)',
  })
  remoteMonitoring: RemoteMonitoringCountsDto;

  @ApiProperty({
    type: OpenAlertsDto,
    description:
      'The organization’s alerts still open (not yet acknowledged or resolved), by severity, now',
  })
  openAlerts: OpenAlertsDto;

  @ApiProperty({
    type: StartBackCountsDto,
    description:
      'The organization’s screened patients by their current STarT Back risk stratum (the screening completed last), now',
  })
  startBack: StartBackCountsDto;

  @ApiProperty({
    type: RtmCodeCountsDto,
    description:
      'Remote therapeutic monitoring this month: patients per code met so far (docs/rtm.md), counts only',
  })
  rtm: RtmCodeCountsDto;

  @ApiProperty({
    type: [DashboardAdherenceGroupDto],
    description:
      'Weeks (Mondays from the week of `from` to that of `to`) or clinicians, each with at least one patient; never a patient id',
  })
  data: DashboardAdherenceGroupDto[];
}
