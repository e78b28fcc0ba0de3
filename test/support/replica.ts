// The streaming replica of scripts/replica.sh, for the read-replica spec: a hot standby of the
// run's PostgreSQL server on REPLICA_PORT (5433). The global setup starts it when it is missing;
// databases made afterwards (the run's) reach it by streaming, so the spec waits for its own.
import { MIGRATIONS } from '@app/migrations';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig, withDatabase } from '../../libs/config/src';
import { maintenanceUrl } from './test-env';

export const REPLICA_PORT = Number(process.env.REPLICA_PORT ?? 5433);

// Specs that pause the replica's replay take this lock on the replica first: two runs at once
// (two engineers, one machine) would otherwise resume each other's pause.
const PAUSE_LOCK = 7_301_946_202;

function onReplica(url: string): string {
  const parsed = new URL(url);
  parsed.port = String(REPLICA_PORT);
  return parsed.toString();
}

/** DATABASE_REPLICA_URL for the run's database: its runtime role, on the replica. */
export function replicaUrl(): string {
  return onReplica(loadConfig().DATABASE_URL);
}

/** The owner (a superuser in the tests) on the replica's `postgres` database. */
function replicaSuperuserUrl(): string {
  return onReplica(maintenanceUrl());
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Makes sure the replica runs and streams (scripts/replica.sh start: made once, then reused),
 * and resumes a replay left paused by a run killed midway. Answers why not, if it cannot.
 */
export async function ensureReplica(): Promise<string | null> {
  const primary = new URL(maintenanceUrl());
  const started = spawnSync(
    'bash',
    [join(__dirname, '..', '..', 'scripts', 'replica.sh'), 'start'],
    {
      env: {
        ...process.env,
        PRIMARY_HOST: primary.hostname,
        PRIMARY_PORT: primary.port || '5432',
        PRIMARY_USER: decodeURIComponent(primary.username),
        REPLICA_PORT: String(REPLICA_PORT),
      },
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  if (started.status !== 0) {
    return `scripts/replica.sh start failed (${started.status ?? started.signal}): ${started.stderr}`;
  }
  try {
    const replica = await connect(replicaSuperuserUrl());
    try {
      const {
        rows: [{ free }],
      } = await replica.query<{ free: boolean }>('SELECT pg_try_advisory_lock($1) AS free', [
        PAUSE_LOCK,
      ]);
      if (free) await replica.query('SELECT pg_wal_replay_resume()');
    } finally {
      await replica.end();
    }
  } catch (err) {
    return `the replica on port ${REPLICA_PORT} does not answer: ${String(err)}`;
  }
  return null;
}

/** The replica as its superuser: pause and resume its replay, wait for it to catch up. */
export class ReplicaControl {
  private constructor(
    private readonly replica: Client,
    private readonly primary: Client,
  ) {}

  /** Opens the control, first waiting for any other run's spec to finish pausing the replica. */
  static async open(): Promise<ReplicaControl> {
    const failure = process.env.SCIATRACK_TEST_REPLICA_ERROR;
    if (failure) throw new Error(`no streaming replica for the tests: ${failure}`);
    const replica = await connect(replicaSuperuserUrl());
    await replica.query('SELECT pg_advisory_lock($1)', [PAUSE_LOCK]);
    return new ReplicaControl(replica, await connect(maintenanceUrl()));
  }

  async pause(): Promise<void> {
    await this.replica.query('SELECT pg_wal_replay_pause()');
    // Requested is not yet paused: a record being replayed finishes first.
    for (;;) {
      const {
        rows: [{ state }],
      } = await this.replica.query<{ state: string }>(
        'SELECT pg_get_wal_replay_pause_state() AS state',
      );
      if (state === 'paused') return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async resume(): Promise<void> {
    await this.replica.query('SELECT pg_wal_replay_resume()');
  }

  /** Waits until the replica has replayed everything the primary has committed so far. */
  async caughtUp(timeoutMs = 60_000): Promise<void> {
    const {
      rows: [{ lsn }],
    } = await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const {
        rows: [{ replayed }],
      } = await this.replica.query<{ replayed: boolean }>(
        'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS replayed',
        [lsn],
      );
      if (replayed) return;
      if (Date.now() > deadline) {
        throw new Error(`the replica has not replayed the primary's ${lsn} in ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Waits until a database made on the primary after the replica (the run's) has reached it with
   * every migration applied.
   */
  async awaitDatabase(name: string, timeoutMs = 60_000): Promise<void> {
    const url = withDatabase(replicaSuperuserUrl(), name);
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const client = await connect(url);
        try {
          const {
            rows: [{ n }],
          } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM migrations');
          if (n >= MIGRATIONS.length) return;
          last = `${n} of ${MIGRATIONS.length} migrations`;
        } finally {
          await client.end();
        }
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`database ${name} has not reached the replica in ${timeoutMs} ms (${last})`);
  }

  /** Resumes replay (whatever happened) and lets another run's spec have the replica. */
  async close(): Promise<void> {
    await this.resume().catch(() => undefined);
    await this.replica.end().catch(() => undefined);
    await this.primary.end().catch(() => undefined);
  }
}
