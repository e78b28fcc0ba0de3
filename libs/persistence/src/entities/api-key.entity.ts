import type { Role, Scope } from '@app/domain';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
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

  // Public, indexed part of the token (unique within the organization, random across them);
  // the secret itself is only kept as a SHA-256 hash.
  @Column('text')
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
