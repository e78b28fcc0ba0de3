import { Db, Exercise } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { ExerciseDto } from './exercise.dto';

@Injectable()
export class ExercisesService {
  constructor(private readonly db: Db) {}

  async list(): Promise<ExerciseDto[]> {
    const rows = await this.db.repo(Exercise).find({ order: { sortOrder: 'ASC' } });
    return rows.map(({ code, name, family, doseKind, defaultDose, progression, instructions }) => ({
      code,
      name,
      family,
      doseKind,
      defaultDose,
      progression,
      instructions,
    }));
  }

  /** The catalog rows for these codes, by code; unknown codes are simply absent. */
  async byCode(codes: readonly string[]): Promise<Map<string, Exercise>> {
    if (codes.length === 0) return new Map();
    const rows = await this.db
      .repo(Exercise)
      .createQueryBuilder('e')
      .where('e.code = ANY(:codes)', { codes: [...new Set(codes)] })
      .getMany();
    return new Map(rows.map((row) => [row.code, row]));
  }
}
