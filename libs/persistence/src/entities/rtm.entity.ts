import type { CareTimeKind } from '@app/domain';
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A remote therapeutic monitoring episode: device-supply periods run from its first day. */
@Entity('rtm_episodes')
export class RtmEpisodeRow {
  @PrimaryColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid')
  patientId: string;

  /** The first day monitored, in the patient's time zone. */
  @Column('date')
  startDate: string;

  /** The last day monitored (inclusive); null while the episode is open. */
  @Column('date', { nullable: true })
  endDate: string | null;

  @Column('uuid', { nullable: true })
  createdByKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  endedAt: Date | null;

  @Column('uuid', { nullable: true })
  endedByKeyId: string | null;
}

/** A clinician's time on a patient's care: append-only, corrected by voiding. */
@Entity('care_time_entries')
export class CareTimeEntryRow {
  @PrimaryColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid')
  patientId: string;

  @Column('uuid')
  clinicianId: string;

  @Column('timestamptz')
  startedAt: Date;

  /** The patient's local date of `startedAt`. */
  @Column('date')
  localDate: string;

  @Column('int')
  minutes: number;

  @Column('boolean')
  interactive: boolean;

  @Column('text')
  kind: CareTimeKind;

  @Column('text', { nullable: true })
  note: string | null;

  @Column('uuid', { nullable: true })
  createdByKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  voidedAt: Date | null;

  @Column('text', { nullable: true })
  voidReason: string | null;

  @Column('uuid', { nullable: true })
  voidedByKeyId: string | null;
}
