import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral, Repository } from 'typeorm';

/**
 * Database access that follows the current transaction. Code running inside `transaction()`
 * (an Idempotency-Key replay guard, a record with its findings and outbox rows) gets the
 * transaction's manager from `manager` or `repo()` without passing it around.
 */
@Injectable()
export class Db {
  private readonly current = new AsyncLocalStorage<EntityManager>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get manager(): EntityManager {
    return this.current.getStore() ?? this.dataSource.manager;
  }

  repo<T extends ObjectLiteral>(entity: EntityTarget<T>): Repository<T> {
    return this.manager.getRepository(entity);
  }

  /** Runs `work` in a transaction, joining the one already open in this call chain if any. */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const open = this.current.getStore();
    if (open?.queryRunner?.isTransactionActive) return work(open);
    return this.dataSource.transaction((manager) => this.current.run(manager, () => work(manager)));
  }
}

/**
 * The rows an `UPDATE … RETURNING` or `DELETE … RETURNING` returns: for those, TypeORM's
 * `query()` answers `[rows, rowCount]` instead of the rows.
 */
export async function queryRows<T>(
  m: EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const result: [T[], number] | T[] = await m.query(sql, params);
  const isPair = result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number';
  return isPair ? (result as [T[], number])[0] : (result as T[]);
}
