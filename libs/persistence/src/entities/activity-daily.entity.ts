import { Column, Entity, PrimaryColumn } from 'typeorm';

export interface DailySourceFigure {
  name: string;
  device: string | null;
  steps: number;
  manualSteps: number;
}

/** Walking on one patient-local day, merged across sources (written by activity_rollup()). */
@Entity('activity_daily')
export class ActivityDaily {
  @PrimaryColumn('uuid')
  organizationId: string;

  @PrimaryColumn('uuid')
  patientId: string;

  @PrimaryColumn('date')
  localDate: string;

  @Column('integer')
  steps: number;

  @Column('integer')
  activeMinutes: number;

  @Column('integer')
  manualSteps: number;

  @Column('integer')
  sampleCount: number;

  @Column('jsonb')
  sources: DailySourceFigure[];

  @Column('timestamptz', { default: () => 'now()' })
  updatedAt: Date;
}

/** What each source last sent: tells "no data" apart from "no activity". */
@Entity('activity_sources')
export class ActivitySource {
  @PrimaryColumn('uuid')
  organizationId: string;

  @PrimaryColumn('uuid')
  patientId: string;

  @PrimaryColumn('text')
  sourceKey: string;

  @Column('text')
  name: string;

  @Column('text', { nullable: true })
  device: string | null;

  /** The account the data came from, when the source says (a Garmin userId). */
  @Column('text', { nullable: true })
  account: string | null;

  @Column('timestamptz', { nullable: true })
  lastSampleEnd: Date | null;

  @Column('timestamptz', { nullable: true })
  lastImportAt: Date | null;
}
