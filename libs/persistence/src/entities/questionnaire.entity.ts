import type { Instrument } from '@app/domain';
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An outcome questionnaire: the answers as given and the score computed from them. */
@Entity('questionnaires')
export class Questionnaire {
  @PrimaryColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid')
  patientId: string;

  @Column('text')
  instrument: Instrument;

  @Column('timestamptz')
  completedAt: Date;

  /** The patient's local day of `completedAt`. */
  @Column('date')
  localDate: string;

  @Column('jsonb')
  answers: Record<string, unknown>;

  /** What the instrument's scoring made of the answers (see libs/domain outcomes.ts). */
  @Column('jsonb')
  score: Record<string, unknown>;

  @Column('uuid', { nullable: true })
  createdByKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
