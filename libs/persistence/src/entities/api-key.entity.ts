import type { Role, Scope } from '@app/domain';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  organizationId: string;

  @Column('text')
  name: string;

  @Column('text')
  role: Role;

  @Column('text', { array: true })
  scopes: Scope[];

  @Column('uuid', { nullable: true })
  clinicianId: string | null;

  @Column('uuid', { nullable: true })
  clientAppId: string | null;

  // Public, indexed part of the token; the secret itself is only kept as a SHA-256 hash.
  @Column('text', { unique: true })
  prefix: string;

  @Column('bytea', { select: false })
  secretHash: Buffer;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  lastUsedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;
}
