import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('organizations')
export class Organization {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  // Per-organization overrides of the configurable clinical thresholds.
  @Column('jsonb', { default: {} })
  settings: Record<string, unknown>;

  // Raw activity samples older than this many days are deleted (their daily figures stay);
  // null keeps them.
  @Column('integer', { nullable: true })
  sampleRetentionDays: number | null;

  // How far the retention has deleted raw samples: days before it keep their figures.
  @Column('timestamptz', { nullable: true })
  samplesPurgedBefore: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
