import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export interface SessionItem {
  exerciseCode: string;
  sets?: number;
  reps?: number;
  holdSeconds?: number;
  durationMinutes?: number;
}

/** One exercise session as a patient's app logged it. */
@Entity('sessions')
export class SessionLog {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid')
  patientId: string;

  @Column('uuid', { nullable: true })
  programId: string | null;

  @Column('text')
  clientRef: string;

  @Column('bytea', { select: false })
  requestHash: Buffer;

  @Column('timestamptz')
  performedAt: Date;

  @Column('date')
  localDate: string;

  @Column('smallint', { nullable: true })
  durationMinutes: number | null;

  @Column('jsonb')
  items: SessionItem[];

  /** The distinct exercise codes of `items`, kept by a trigger (docs/adherence.md). */
  @Column({
    type: 'text',
    array: true,
    nullable: true,
    select: false,
    insert: false,
    update: false,
  })
  exerciseCodes: string[] | null;

  @Column('uuid', { nullable: true })
  createdByKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
