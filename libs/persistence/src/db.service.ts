import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { ReadReplica, type Reader } from './read-replica.service';

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

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replica: ReadReplica,
  ) {}

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

  /**
   * For a read that may be a moment behind (docs/read-replica.md lists them): runs `read` on the
   * read replica when DATABASE_REPLICA_URL is set and the replica is up and at most
   * DATABASE_REPLICA_MAX_LAG_MS behind, else where `current` would; a replica that fails to answer
   * hands the read to the primary. In a transaction of this call chain it runs in the
   * transaction, whose reads must see its writes.
   */
  replicaRead<T>(read: (m: EntityManager) => Promise<T>): Promise<T> {
    if (this.openTransaction.getStore()) return read(this.current);
    return this.replica.read(read, () => this.current);
  }

  /**
   * Reads for work that runs beside a transaction without being part of it (an export's batch
   * reads the records while its transaction writes the files) and must see every commit made so
   * far: each runs on the replica once it has replayed the primary's WAL as it ends now (and is
   * up, and within the lag), else where `current` would, that transaction included.
   */
  async replicaReaderCaughtUp(): Promise<Reader> {
    const current: Reader = (read) => read(this.current);
    if (!this.replica.configured) return current;
    const position = await this.replica.primaryPosition();
    return (read) => this.replica.read(read, () => this.current, position);
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

/**
 * A statement PostgreSQL parses and plans once per connection (a named prepared statement)
 * instead of on every call: for the statements every request sends, planning cost as much as
 * running them (pg_stat_statements, BENCHMARKS.md). Only for constant texts: each text is
 * prepared on each pooled connection it runs on, and kept there.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

const preparedTexts = new Map<string, PreparedStatement>();

/** The prepared statement of a text (one per distinct text, named by its hash). */
export function prepared(text: string): PreparedStatement {
  let statement = preparedTexts.get(text);
  if (!statement) {
    const name = `sct_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    statement = { name, text };
    preparedTexts.set(text, statement);
  }
  return statement;
}

/**
 * Runs a prepared statement on `on` (a transaction, or the pool) and answers its rows, for any
 * kind of statement. A driver error comes out as TypeORM's QueryFailedError, as from `query()`.
 */
export async function runPrepared<T>(
  on: Executor,
  statement: PreparedStatement,
  params: unknown[],
): Promise<T[]> {
  const own = on.queryRunner ? null : on.connection.createQueryRunner();
  const runner = on.queryRunner ?? own!;
  try {
    const client = (await runner.connect()) as PoolClient;
    const result = await client.query<T & object>({
      name: statement.name,
      text: statement.text,
      values: params,
    });
    return result.rows;
  } catch (err) {
    if (err instanceof QueryFailedError || !(err instanceof Error)) throw err;
    throw new QueryFailedError(statement.text, params, err);
  } finally {
    await own?.release();
  }
}
