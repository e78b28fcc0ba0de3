import type { ImportFormat } from '@app/domain';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type ImportStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface ImportError {
  index?: number;
  line?: number;
  reason: string;
}

/** One payload an app pushed, kept in PostgreSQL until the worker has imported it. */
@Entity('activity_imports')
export class ActivityImport {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('uuid')
  patientId: string;

  @Column('text')
  format: ImportFormat;

  @Column('text', { default: 'queued' })
  status: ImportStatus;

  @Column('bigint')
  byteSize: string;

  @Column('integer')
  chunkCount: number;

  @Column('integer', { default: 0 })
  processed: number;

  @Column('integer', { default: 0 })
  received: number;

  @Column('integer', { default: 0 })
  inserted: number;

  @Column('integer', { default: 0 })
  duplicates: number;

  /** Records that replaced an earlier version of themselves (a re-sent Garmin epoch). */
  @Column('integer', { default: 0 })
  updated: number;

  @Column('integer', { default: 0 })
  rejected: number;

  @Column('integer', { default: 0 })
  painReports: number;

  @Column('jsonb', { default: [] })
  errors: ImportError[];

  @Column('text', { nullable: true })
  failureReason: string | null;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('uuid', { nullable: true })
  createdByKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  startedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  completedAt: Date | null;
}
