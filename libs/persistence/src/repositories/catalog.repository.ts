import { Injectable } from '@nestjs/common';
import { Db } from '../db.service';
import { Exercise } from '../entities';

/**
 * The exercise catalog. It changes only with a migration (a new version of the service), so it
 * is read once per process and kept: a session's exercise codes are checked without a query.
 */
@Injectable()
export class CatalogRepository {
  private catalog: Promise<Exercise[]> | null = null;

  constructor(private readonly db: Db) {}

  exercises(): Promise<Exercise[]> {
    this.catalog ??= this.db.current
      .getRepository(Exercise)
      .find({ order: { sortOrder: 'ASC' } })
      .catch((err: unknown) => {
        this.catalog = null;
        throw err;
      });
    return this.catalog;
  }

  /** The catalog rows for these codes, by code; unknown codes are simply absent. */
  async byCode(codes: readonly string[]): Promise<Map<string, Exercise>> {
    const wanted = new Set(codes);
    return new Map(
      (await this.exercises()).filter((e) => wanted.has(e.code)).map((e) => [e.code, e]),
    );
  }
}
