import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';

declare const openTransaction: unique symbol;

/**
 * A handle on an open transaction. Only `Db.transaction` makes one, so a repository method
 * that takes a `Tx` cannot be called outside a transaction: it does not compile.
 */
export type Tx = EntityManager & { readonly [openTransaction]: true };

/** Where a repository sends a statement: the transaction it is given, or the pool. */
export type Executor = Tx | EntityManager;

/**
 * The database: the pool, and transactions. A transaction opened while one is open in the same
 * call chain joins it (the Idempotency-Key claim that a POST's interceptor makes, and the
 * record the handler then writes, commit together); the handle says so explicitly either way.
 */
@Injectable()
export class Db {
  private readonly openTransaction = new AsyncLocalStorage<EntityManager>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Where a statement that may run in or out of a transaction goes: the transaction open in
   * this call chain if there is one, else the pool. Inside a request's transaction (a POST with
   * an Idempotency-Key) its reads see its writes, its writes commit with it, and it never waits
   * for a second pooled connection while holding one.
   */
  get current(): EntityManager {
    return this.openTransaction.getStore() ?? this.dataSource.manager;
  }

  /**
   * The pool, even while a transaction is open in the call chain: for writes that belong to no
   * request's transaction (the audit log, which records what was rolled back too).
   */
  get pool(): EntityManager {
    return this.dataSource.manager;
  }

  /** Runs `work` in a transaction, joining the one already open in this call chain if any. */
  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const open = this.openTransaction.getStore();
    if (open?.queryRunner?.isTransactionActive) return work(open as Tx);
    return this.dataSource.transaction((manager) =>
      this.openTransaction.run(manager, () => work(manager as Tx)),
    );
  }
}

/**
 * The rows a statement answers. For `UPDATE … RETURNING` and `DELETE … RETURNING`, TypeORM's
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
