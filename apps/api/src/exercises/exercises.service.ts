import { CatalogRepository, Exercise } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { ExerciseDto } from './exercise.dto';

@Injectable()
export class ExercisesService {
  constructor(private readonly catalog: CatalogRepository) {}

  async list(): Promise<ExerciseDto[]> {
    const rows = await this.catalog.exercises();
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
  byCode(codes: readonly string[]): Promise<Map<string, Exercise>> {
    return this.catalog.byCode(codes);
  }
}
