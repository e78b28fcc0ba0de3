import type { Action, ProgramEffect, RuleId, Severity } from '@app/domain';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** What a rule concluded from a pain report, with its evidence. */
@Entity('findings')
export class RuleFinding {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
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

  @Column('uuid')
  painReportId: string;

  @Column('uuid', { nullable: true })
  sessionId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
