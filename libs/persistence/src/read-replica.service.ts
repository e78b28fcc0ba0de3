import { AppConfig } from '@app/config';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter, Gauge, type Metric } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { dataSourceOptions } from './data-source-options';
import { sqlState } from './sql-errors';

/** A position in the primary's write-ahead log (an LSN, in bytes). */
export type WalPosition = bigint;

/** Why a read that could have gone to the replica went to the primary. */
export type PrimaryReason = 'down' | 'lag' | 'behind' | 'failed';

/** Runs a read on the replica or on the primary: see Db.replicaRead. */
export type Reader = <T>(read: (m: EntityManager) => Promise<T>) => Promise<T>;

export function parseWalPosition(lsn: string): WalPosition {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** The primary's WAL end, read at `at` (monotonic ms) or later. */
interface Sample {
  at: number;
  lsn: WalPosition;
}

// Samples kept while the replica does not move (a check a second: over an hour of them).
const MAX_SAMPLES = 4096;

/**
 * What a replica answers when it cannot serve a read that the primary can: it is unreachable
 * or shutting down (no SQLSTATE, class 08, 57P01–57P03), a statement cancelled by the replay of
 * the primary's changes (40001), or a database or role not replayed yet (3D000, 28000). Any other
 * error is the statement's own, and the primary would answer it the same way.
 */
function isReplicaFailure(err: unknown): boolean {
  const state = sqlState(err);
  if (state === undefined || !/^[0-9A-Z]{5}$/.test(state)) return true;
  return (
    state.startsWith('08') ||
    ['57P01', '57P02', '57P03', '40001', '3D000', '28000', '28P01'].includes(state)
  );
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The read replica of DATABASE_REPLICA_URL (docs/read-replica.md): a second TypeORM data source
 * on the streaming standby, and a check every DATABASE_REPLICA_CHECK_MS of how far behind it is.
 *
 * How far behind is measured against the primary's WAL, not the standby's replay timestamps
 * (which stand still while the primary is idle, and depend on two servers' clocks): each check
 * reads where the primary's WAL ends, then how far the standby has replayed. Once the standby has
 * replayed a position a check read, it has every commit acknowledged before that check began, so
 * its staleness is at most the time since the newest such check began. That bound, on this
 * process's monotonic clock, decides: reads go to the replica while it is up and the bound is
 * within DATABASE_REPLICA_MAX_LAG_MS, and to the primary otherwise.
 */
@Injectable()
export class ReadReplica implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ReadReplica.name);
  private replica: DataSource | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private samples: Sample[] = [];
  /** The replica holds every commit the primary had acknowledged at this instant (monotonic ms). */
  private caughtUpAt: number | null = null;
  private replayed: WalPosition | null = null;
  private state: 'unknown' | 'up' | 'down' = 'unknown';
  private readonly requests = new AsyncLocalStorage<{ stalenessMs: number | null }>();

  private readonly reads = new Counter({
    name: 'sciatrack_db_replica_reads_total',
    help: 'Reads that may be served by the read replica, by who served them (and why the primary did)',
    labelNames: ['served_by', 'reason'] as const,
    registers: [],
  });
  private readonly metricsOfReplica: Metric[];

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly primary: DataSource,
  ) {
    const up: Gauge = new Gauge({
      name: 'sciatrack_db_replica_up',
      help: 'Whether the read replica answered its last check as a standby (1) or not (0)',
      registers: [],
      collect: () => up.set(this.state === 'up' ? 1 : 0),
    });
    const lag: Gauge = new Gauge({
      name: 'sciatrack_db_replica_lag_seconds',
      help: 'At most how far behind the primary the read replica is (NaN while it is not usable)',
      registers: [],
      collect: () => lag.set((this.stalenessMs() ?? Number.NaN) / 1000),
    });
    this.metricsOfReplica = [this.reads, up, lag];
  }

  /** Whether DATABASE_REPLICA_URL is set. */
  get configured(): boolean {
    return this.config.DATABASE_REPLICA_URL !== undefined;
  }

  /** The replica's measures, for a Prometheus registry: none without a replica. */
  get metrics(): Metric[] {
    return this.configured ? this.metricsOfReplica : [];
  }

  onModuleInit(): void {
    if (!this.config.DATABASE_REPLICA_URL) return;
    const options = dataSourceOptions(this.config, this.config.DATABASE_REPLICA_URL);
    this.replica = new DataSource({
      ...options,
      // A replica that stops answering without closing its connections fails a read in 30 s
      // (the lag check has marked it down by then, so the next reads go to the primary).
      extra: { ...(options.extra as object), query_timeout: 30_000, keepAlive: true },
      // A standby is read-only: nothing to install there.
      installExtensions: false,
    });
    // Not awaited: a replica that is down must not keep the process from starting.
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // A check under way closes it when it ends (see check).
    if (this.replica?.isInitialized) await this.replica.destroy().catch(() => undefined);
  }

  /**
   * At most how long ago the replica was in step with the primary (ms), or null when it is not
   * usable (not configured, down, or never measured).
   */
  stalenessMs(): number | null {
    if (this.state !== 'up' || this.caughtUpAt === null) return null;
    return performance.now() - this.caughtUpAt;
  }

  /** Where the primary's WAL ends now. */
  async primaryPosition(): Promise<WalPosition> {
    const [{ lsn }] = await this.primary.query<{ lsn: string }[]>(
      'SELECT pg_current_wal_lsn()::text AS lsn',
    );
    return parseWalPosition(lsn);
  }

  /**
   * Runs `read` on the replica when it may serve it, else on `primary()`; a replica that fails to
   * answer hands the read to the primary. `replayedTo`: the replica serves only once it has
   * replayed the primary's WAL this far. Without a replica, `read` runs on `primary()`, uncounted.
   */
  async read<T>(
    read: (m: EntityManager) => Promise<T>,
    primary: () => EntityManager,
    replayedTo?: WalPosition,
  ): Promise<T> {
    if (!this.replica) return read(primary());
    if (replayedTo !== undefined && (this.replayed ?? -1n) < replayedTo) {
      // The last check may be up to DATABASE_REPLICA_CHECK_MS old: look again, since a position
      // the primary just reached is usually replayed within milliseconds.
      await this.lookAtReplay(this.replica);
    }
    const staleness = this.stalenessMs();
    const reason: PrimaryReason | null =
      staleness === null
        ? 'down'
        : staleness > this.config.DATABASE_REPLICA_MAX_LAG_MS
          ? 'lag'
          : replayedTo !== undefined && (this.replayed === null || this.replayed < replayedTo)
            ? 'behind'
            : null;
    if (reason !== null || staleness === null) {
      this.reads.inc({ served_by: 'primary', reason: reason ?? 'down' });
      return read(primary());
    }
    let value: T;
    try {
      value = await read(this.replica.manager);
    } catch (err) {
      if (!isReplicaFailure(err)) throw err;
      this.markDown(err);
      this.reads.inc({ served_by: 'primary', reason: 'failed' });
      return read(primary());
    }
    this.reads.inc({ served_by: 'replica' });
    const request = this.requests.getStore();
    if (request) request.stalenessMs = Math.max(request.stalenessMs ?? 0, staleness);
    return value;
  }

  /**
   * Runs `work` (a request's handling), then, if any of its reads went to the replica, tells
   * `report` at most how stale their answers were (ms): whether `work` succeeds or fails, since a
   * 404 read from a replica that lags is stale too.
   */
  async tracking<T>(work: () => Promise<T>, report: (stalenessMs: number) => void): Promise<T> {
    const request = { stalenessMs: null as number | null };
    try {
      return await this.requests.run(request, work);
    } finally {
      if (request.stalenessMs !== null) report(request.stalenessMs);
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => void this.check().finally(() => this.schedule(this.every)),
      delayMs,
    );
    this.timer.unref();
  }

  private get every(): number {
    return this.config.DATABASE_REPLICA_CHECK_MS;
  }

  /** One measure; a check that hangs (a replica gone silent) counts as down after a while. */
  private async check(): Promise<void> {
    const replica = this.replica!;
    let timeout: NodeJS.Timeout | undefined;
    const limit = Math.max(this.config.DATABASE_REPLICA_MAX_LAG_MS, 5000);
    try {
      await Promise.race([
        this.measure(replica),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer in ${limit} ms`)), limit);
        }),
      ]);
    } catch (err) {
      this.markDown(err);
    } finally {
      clearTimeout(timeout);
      // Stopped while connecting: the pool it just opened would keep the process alive.
      if (this.stopped && replica.isInitialized) await replica.destroy().catch(() => undefined);
    }
  }

  private async measure(replica: DataSource): Promise<void> {
    if (!replica.isInitialized) await replica.initialize();
    let sample: Sample;
    try {
      const at = performance.now();
      sample = { at, lsn: await this.primaryPosition() };
    } catch {
      // The primary does not answer: nothing to compare with, and its own reads fail anyway.
      // The bound keeps growing until a check succeeds again.
      return;
    }
    this.samples.push(sample);
    const [row] = await replica.query<{ standby: boolean; replayed: string | null }[]>(
      'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
    );
    if (!row.standby || row.replayed === null) {
      // Promoted (a failover), or pointed at a primary: its data may go its own way.
      throw new Error('the server of DATABASE_REPLICA_URL is not a streaming standby');
    }
    const replayed = parseWalPosition(row.replayed);
    let newest = -1;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      if (this.samples[i].lsn <= replayed) {
        newest = i;
        break;
      }
    }
    if (newest >= 0) {
      this.caughtUpAt = Math.max(this.caughtUpAt ?? 0, this.samples[newest].at);
      // Replay only moves forward: older samples cannot be the newest replayed again.
      this.samples.splice(0, newest);
    }
    if (this.samples.length > MAX_SAMPLES)
      this.samples.splice(0, this.samples.length - MAX_SAMPLES);
    this.replayed = replayed;
    if (this.state !== 'up') this.logger.log('read replica up: reads that may lag go to it');
    this.state = 'up';
  }

  /** Where the replica's replay is now (without a measure of its lag); left as is if it fails. */
  private async lookAtReplay(replica: DataSource): Promise<void> {
    if (this.state !== 'up') return;
    try {
      const [{ replayed }] = await replica.query<{ replayed: string }[]>(
        'SELECT pg_last_wal_replay_lsn()::text AS replayed',
      );
      const position = parseWalPosition(replayed);
      if (this.replayed === null || position > this.replayed) this.replayed = position;
    } catch {
      // The next read or check finds out whether it is down.
    }
  }

  private markDown(err: unknown): void {
    if (this.state !== 'down') {
      this.logger.warn(
        { reason: describe(err) },
        'read replica unavailable: its reads go to the primary',
      );
    }
    this.state = 'down';
  }
}
