import type { AlertSeverity, AlertStatus, RuleId } from '@app/domain';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A clinician alert: opened by a warning or urgent finding, at most one open per patient and rule. */
@Entity('alerts')
export class Alert {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid')
  patientId: string;

  @Column('text')
  rule: RuleId;

  @Column('text')
  severity: AlertSeverity;

  @Column('text', { default: 'open' })
  status: AlertStatus;

  /** The finding that opened the alert. */
  @Column('uuid')
  findingId: string;

  /** The newest finding of the same rule while the alert was open. */
  @Column('uuid')
  lastFindingId: string;

  @Column('integer', { default: 1 })
  findingCount: number;

  @Column('integer', { default: 0 })
  escalationCount: number;

  @Column('timestamptz', { nullable: true })
  escalatedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  acknowledgedAt: Date | null;

  @Column('uuid', { nullable: true })
  acknowledgedByKeyId: string | null;

  @Column('timestamptz', { nullable: true })
  resolvedAt: Date | null;

  @Column('uuid', { nullable: true })
  resolvedByKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { default: () => 'now()' })
  updatedAt: Date;
}
