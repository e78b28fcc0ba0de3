import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type ProgramStatus = 'active' | 'paused' | 'suspended' | 'completed';

/** One version of a patient's prescription. A new version supersedes the current one. */
@Entity('programs')
export class Program {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid')
  patientId: string;

  @Column('integer')
  version: number;

  @Column('text', { default: 'active' })
  status: ProgramStatus;

  @Column('text', { nullable: true })
  statusReason: string | null;

  @Column('timestamptz', { default: () => 'now()' })
  statusChangedAt: Date;

  @Column('date')
  startDate: string;

  @Column('integer', { nullable: true })
  walkingGoalDailySteps: number | null;

  @Column('smallint', { default: 2 })
  restGapDays: number;

  @Column('uuid', { nullable: true })
  supersedesProgramId: string | null;

  @Column('timestamptz', { nullable: true })
  supersededAt: Date | null;

  @Column('uuid', { nullable: true })
  createdByKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

@Entity('program_items')
export class ProgramItem {
  @PrimaryColumn('uuid')
  organizationId: string;

  @PrimaryColumn('uuid')
  programId: string;

  @PrimaryColumn('smallint')
  position: number;

  @Column('text')
  exerciseCode: string;

  @Column('smallint', { nullable: true })
  sets: number | null;

  @Column('smallint', { nullable: true })
  reps: number | null;

  @Column('smallint', { nullable: true })
  repsGoal: number | null;

  @Column('smallint', { nullable: true })
  holdSeconds: number | null;

  @Column('smallint', { nullable: true })
  holdGoalSeconds: number | null;

  @Column('smallint', { nullable: true })
  durationMinutes: number | null;

  @Column('smallint', { nullable: true })
  timesPerDay: number | null;

  @Column('smallint', { nullable: true })
  daysPerWeek: number | null;
}
