import { Injectable } from '@nestjs/common';
import { Db } from '../db.service';
import { Exercise } from '../entities';

/** The exercise catalog (seeded by the migrations). */
@Injectable()
export class CatalogRepository {
  constructor(private readonly db: Db) {}

  exercises(): Promise<Exercise[]> {
    return this.db.current.getRepository(Exercise).find({ order: { sortOrder: 'ASC' } });
  }

  /** The catalog rows for these codes, by code; unknown codes are simply absent. */
  async byCode(codes: readonly string[]): Promise<Map<string, Exercise>> {
    if (codes.length === 0) return new Map();
    const rows = await this.db.current
      .getRepository(Exercise)
      .createQueryBuilder('e')
      .where('e.code = ANY(:codes)', { codes: [...new Set(codes)] })
      .getMany();
    return new Map(rows.map((row) => [row.code, row]));
  }
}
