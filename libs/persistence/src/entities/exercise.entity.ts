import type { DoseKind, ExerciseFamily } from '@app/domain';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('exercises')
export class Exercise {
  @PrimaryColumn('text')
  code: string;

  @Column('text')
  name: string;

  @Column('text')
  family: ExerciseFamily;

  @Column('text')
  doseKind: DoseKind;

  @Column('jsonb')
  defaultDose: Record<string, number>;

  @Column('text')
  progression: string;

  @Column('text')
  instructions: string;

  @Column('text', { array: true })
  sources: string[];

  @Column('smallint')
  sortOrder: number;
}
