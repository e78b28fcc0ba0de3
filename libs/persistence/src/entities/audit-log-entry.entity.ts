import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type AuditOutcome =
  'success' | 'denied' | 'not_found' | 'unauthenticated' | 'forbidden' | 'rejected' | 'error';

/** Append-only: the database refuses UPDATE and DELETE on this table. */
@Entity('audit_log')
export class AuditLogEntry {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('timestamptz', { default: () => 'now()' })
  occurredAt: Date;

  /** PLATFORM_ORGANIZATION_ID for calls of no organization (unauthenticated, the operator's). */
  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid', { nullable: true })
  apiKeyId: string | null;

  @Column('text', { nullable: true })
  actorRole: string | null;

  @Column('text')
  action: string;

  @Column('uuid', { nullable: true })
  patientId: string | null;

  @Column('uuid', { nullable: true })
  resourceId: string | null;

  @Column('text')
  outcome: AuditOutcome;

  @Column('smallint')
  status: number;

  @Column('text', { nullable: true })
  requestId: string | null;
}
