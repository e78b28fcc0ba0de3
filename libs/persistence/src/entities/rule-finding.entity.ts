import type { Action, ProgramEffect, RuleId, Severity } from '@app/domain';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** What a rule concluded from a pain report or a questionnaire (one of the two), with its evidence. */
@Entity('findings')
export class RuleFinding {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid')
  patientId: string;

  @Column('text')
  rule: RuleId;

  @Column('text')
  severity: Severity;

  @Column('text')
  action: Action;

  @Column('text', { nullable: true })
  programEffect: ProgramEffect;

  @Column('jsonb')
  evidence: Record<string, unknown>;

  /** Null for the outcome rules' findings, which come from a questionnaire. */
  @Column('uuid', { nullable: true })
  painReportId: string | null;

  @Column('uuid', { nullable: true })
  questionnaireId: string | null;

  @Column('uuid', { nullable: true })
  sessionId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
