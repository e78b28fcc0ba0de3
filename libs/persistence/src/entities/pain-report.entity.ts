import type { PainContext, PainSide, PainSite, RedFlagAnswers } from '@app/domain';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity('pain_reports')
export class PainReport {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid')
  patientId: string;

  /** Set for reports posted on their own; null for the before/after pain of a session. */
  @Column('text', { nullable: true })
  clientRef: string | null;

  @Column('bytea', { nullable: true, select: false })
  requestHash: Buffer | null;

  @Column('uuid', { nullable: true })
  sessionId: string | null;

  @Column('timestamptz')
  reportedAt: Date;

  @Column('date')
  localDate: string;

  @Column('smallint')
  intensity: number;

  @Column('text')
  mostDistalSite: PainSite;

  @Column('text', { nullable: true })
  side: PainSide | null;

  @Column('text')
  context: PainContext;

  @Column('jsonb', { nullable: true })
  redFlags: RedFlagAnswers | null;

  @Column('smallint', { nullable: true })
  odi: number | null;

  @Column('uuid', { nullable: true })
  createdByKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
