import type { PainSide, PainSite } from '@app/domain';
import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

@Entity('patients')
export class Patient {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn('uuid')
  organizationId: string;

  @Column('text')
  externalRef: string;

  @Column('text')
  timezone: string;

  @Column('uuid')
  clinicianId: string;

  @Column('date', { nullable: true })
  symptomOnsetDate: string | null;

  @Column('text', { default: 'lumbar_disc_herniation' })
  condition: string;

  @Column('smallint', { nullable: true })
  baselinePainIntensity: number | null;

  @Column('text', { nullable: true })
  baselinePainSite: PainSite | null;

  @Column('text', { nullable: true })
  baselinePainSide: PainSide | null;

  /**
   * Moves on with every change to what the pain rules read (see the RecordsVersion
   * migration); written by SQL only, never by a save of the entity.
   */
  @Column({ type: 'bigint', default: 0, insert: false, update: false, select: false })
  recordsVersion: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
