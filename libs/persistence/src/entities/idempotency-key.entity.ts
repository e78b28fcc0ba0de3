import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('idempotency_keys')
export class IdempotencyKey {
  /** The API key's organization; PLATFORM_ORGANIZATION_ID for the operator's keys. */
  @PrimaryColumn('uuid')
  organizationId: string;

  /** The API key id, or `operator`: keys never collide across callers. */
  @PrimaryColumn('text')
  scope: string;

  @PrimaryColumn('text')
  key: string;

  @Column('text')
  method: string;

  @Column('text')
  path: string;

  @Column('bytea')
  requestHash: Buffer;

  @Column('smallint', { nullable: true })
  responseStatus: number | null;

  // json, not jsonb: a replay answers byte for byte, keys in their first order.
  @Column('json', { nullable: true })
  responseBody: unknown;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
