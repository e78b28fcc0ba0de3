import type { WebhookEventType } from '@app/domain';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A receiver of signed events, for the whole organization or one clinician's patients. */
@Entity('webhook_endpoints')
export class WebhookEndpoint {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid', { nullable: true })
  clinicianId: string | null;

  @Column('text')
  url: string;

  @Column('text', { array: true })
  events: WebhookEventType[];

  @Column('bytea', { select: false })
  secretEncrypted: Buffer;

  @Column('bytea', { select: false, nullable: true })
  previousSecretEncrypted: Buffer | null;

  @Column('timestamptz', { nullable: true })
  previousSecretExpiresAt: Date | null;

  @Column('boolean', { default: true })
  enabled: boolean;

  @Column('text', { nullable: true })
  disabledReason: string | null;

  @Column('timestamptz', { nullable: true })
  disabledAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { default: () => 'now()' })
  updatedAt: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** One event for one endpoint, with its attempts; `dead` is the dead letter. */
@Entity('webhook_deliveries')
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid')
  endpointId: string;

  /** The outbox event: sent as `webhook-id`, the same on every attempt and replay. */
  @Column('uuid')
  eventId: string;

  @Column('text')
  eventType: WebhookEventType;

  @Column('text')
  body: string;

  @Column('text', { default: 'pending' })
  status: DeliveryStatus;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('timestamptz', { default: () => 'now()' })
  nextAttemptAt: Date;

  /** While an attempt is in flight: no other worker may make one until it passes. */
  @Column('timestamptz', { nullable: true })
  leasedUntil: Date | null;

  @Column('timestamptz', { nullable: true })
  lastAttemptAt: Date | null;

  @Column('integer', { nullable: true })
  lastStatusCode: number | null;

  @Column('text', { nullable: true })
  lastError: string | null;

  @Column('timestamptz', { nullable: true })
  deliveredAt: Date | null;

  @Column('timestamptz', { nullable: true })
  deadAt: Date | null;

  @Column('text', { nullable: true })
  deadReason: string | null;

  @Column('integer', { default: 0 })
  replayCount: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
