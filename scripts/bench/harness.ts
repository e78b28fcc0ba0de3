// Shared pieces of the benchmarks: a database of their own, the real built processes, and
// small statistics. Benchmarks measure; they never decide pass or fail.
import { loadConfig, withDatabase } from '@app/config';
import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keysOfPrefixPattern, scanKeys } from '@app/queue';
import IORedis from 'ioredis';
import { Client } from 'pg';

export const ROOT = join(__dirname, '..', '..', '..');
export const BENCH_ADMIN_TOKEN = 'bench-operator-token-0123456789';

const BENCH_DATABASE = 'sciatrack_bench';

/**
 * The benchmark database as its owner (DATABASE_OWNER_URL's role): the harness creates it,
 * loads generated data, truncates and vacuums, which only the owner may.
 */
export function benchDatabaseUrl(database = BENCH_DATABASE): string {
  const owner = loadConfig().DATABASE_OWNER_URL;
  if (!owner) throw new Error('the benchmarks need DATABASE_OWNER_URL (they create a database)');
  return withDatabase(owner, database);
}

/** The benchmark database as the runtime role (DATABASE_URL's), as the services connect. */
export function benchRuntimeUrl(database = BENCH_DATABASE): string {
  return withDatabase(loadConfig().DATABASE_URL, database);
}

/** Runs `work` with a client of the server's `postgres` database (to create or drop others). */
export async function withAdmin<T>(
  databaseUrl: string,
  work: (c: Client) => Promise<T>,
): Promise<T> {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops and creates the database of `databaseUrl`, empty or as a copy of `template`. */
export async function recreateDatabase(databaseUrl: string, template?: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  await withAdmin(databaseUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  });
}

/** Drops the benchmark database of `databaseUrl` (at the end of a run: nothing is left behind). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  await withAdmin(databaseUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  );
}

/** Deletes the Redis keys of a benchmark's queue prefix, left by an earlier run. */
export async function flushQueue(prefix: string): Promise<void> {
  const redis = new IORedis(loadConfig().REDIS_URL);
  await scanKeys(redis, keysOfPrefixPattern(prefix), (keys) => redis.del(...keys));
  redis.disconnect();
}

export interface Service {
  child: ChildProcess;
  stop(): Promise<void>;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRss(): number;
}

/** The node flags `npm run start:<entry>` uses, so the benchmark runs what production runs. */
function startFlags(entry: 'api' | 'worker'): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return (pkg.scripts[`start:${entry}`] ?? '').split(/\s+/).filter((part) => part.startsWith('--'));
}

export function startService(
  entry: 'api' | 'worker',
  env: Record<string, string>,
  nodeArgs: string[] = startFlags(entry),
): Service {
  const profile = (process.env.BENCH_PROFILE_DIR ?? '') !== '';
  const args = profile
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`,
        `--cpu-prof-name=${entry}-${Date.now()}.cpuprofile`,
      ]
    : [];
  const child = spawn(
    process.execPath,
    [...args, ...nodeArgs, join(ROOT, `dist/apps/${entry}/src/main.js`)],
    {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return {
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
    peakRss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return kb ? Number(kb) * 1024 : NaN;
    },
  };
}

export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  label: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${label}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function api<T>(
  base: string,
  path: string,
  init: RequestInit & { key?: string } = {},
): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: {
      ...(init.key ? { Authorization: `Bearer ${init.key}` } : {}),
      ...(init.body && typeof init.body === 'string' ? { 'Content-Type': 'application/json' } : {}),
      ...(init.headers ?? {}),
    },
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`${init.method ?? 'GET'} ${path} → ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface Clinic {
  adminKey: string;
  appKey: string;
  clinicianId: string;
  patientIds: string[];
}

/** An organization with a clinician, an app, and `patients` patients enrolled with it. */
export async function seedClinic(
  base: string,
  patients: number,
  timezone = 'Europe/Paris',
): Promise<Clinic> {
  const org = await api<{ adminKey: string }>(base, '/v1/admin/organizations', {
    method: 'POST',
    key: BENCH_ADMIN_TOKEN,
    body: JSON.stringify({ name: 'Bench clinic' }),
  });
  const adminKey = org.adminKey;
  const clinician = await api<{ id: string }>(base, '/v1/clinicians', {
    method: 'POST',
    key: adminKey,
    body: JSON.stringify({ name: 'Bench', email: `bench-${Date.now()}@clinic.example` }),
  });
  const app = await api<{ id: string }>(base, '/v1/client-apps', {
    method: 'POST',
    key: adminKey,
    body: JSON.stringify({ name: 'Bench app' }),
  });
  const appKey = await api<{ key: string }>(base, '/v1/api-keys', {
    method: 'POST',
    key: adminKey,
    body: JSON.stringify({ name: 'bench', role: 'app', clientAppId: app.id }),
  });
  const patientIds: string[] = [];
  for (let i = 0; i < patients; i++) {
    const p = await api<{ id: string }>(base, '/v1/patients', {
      method: 'POST',
      key: adminKey,
      body: JSON.stringify({
        externalRef: `BENCH-${i}-${Date.now()}`,
        timezone,
        clinicianId: clinician.id,
      }),
    });
    await api(base, `/v1/patients/${p.id}/enrollments`, {
      method: 'POST',
      key: adminKey,
      body: JSON.stringify({ clientAppId: app.id }),
    });
    patientIds.push(p.id);
  }
  return { adminKey, appKey: appKey.key, clinicianId: clinician.id, patientIds };
}

const CLOCK_TICKS_PER_SECOND = 100;

function processCpuSeconds(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime is the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0; // the process has exited
  }
}

/**
 * The database a PostgreSQL client backend serves, from its process title
 * (`postgres: 15/main: user database host(port) state`); null for the server's own processes.
 */
function backendDatabase(pid: string): string | null {
  try {
    const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .replace(/\0/g, ' ')
      .replace(/^postgres: [^:]+: /, '')
      .trim()
      .split(/\s+/);
    return /^(\[local\]|[\d.:a-f]+\(\d+\))$/.test(words[2] ?? '') ? words[1] : null;
  } catch {
    return null;
  }
}

function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * CPU seconds of the whole machine so far, every core (the first line of /proc/stat): busy in
 * this VM, and stolen by the hypervisor (time this VM's processes were ready to run and were
 * not, which a VM's benchmark cannot avoid but can report).
 */
function machineCpuSeconds(): { busy: number; steal: number } {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return {
    busy: (user + nice + system + irq + softirq) / CLOCK_TICKS_PER_SECOND,
    steal: steal / CLOCK_TICKS_PER_SECOND,
  };
}

export interface CpuReading {
  /** Busy and stolen seconds of the whole machine. */
  machine: { busy: number; steal: number };
  /** The groups in the order they are reported. */
  groups: string[];
  /** CPU seconds of each process of a group, by pid. */
  processes: Map<number, { group: string; seconds: number }>;
}

/**
 * CPU seconds used so far by each process of the API, the worker, PostgreSQL (every process,
 * backends of the benchmark database included), Redis and the benchmark client itself: the
 * difference of two readings (cpuSpent) shows where a phase's time went on the shared cores.
 */
export function cpuReading(services: Record<string, Service>): CpuReading {
  const processes = new Map<number, { group: string; seconds: number }>();
  const add = (pid: number, group: string) =>
    processes.set(pid, { group, seconds: processCpuSeconds(pid) });
  for (const [name, service] of Object.entries(services)) add(service.child.pid ?? 0, name);
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    const command = commandOf(pid);
    if (command === 'postgres') {
      // Backends of other databases (another session's tests on the same server) are not ours.
      const database = backendDatabase(pid);
      if (database === null || database.startsWith(BENCH_DATABASE)) add(Number(pid), 'postgres');
    } else if (command.startsWith('redis-server')) add(Number(pid), 'redis');
  }
  add(process.pid, 'bench client');
  return {
    machine: machineCpuSeconds(),
    groups: [...Object.keys(services), 'postgres', 'redis', 'bench client'],
    processes,
  };
}

/**
 * CPU seconds per group between two readings, process by process (a process started in
 * between counts whole), `other`: the rest of the machine's busy time (the kernel, other
 * sessions' processes, a psql child, and what processes that exited in between used), and
 * `steal`: what the hypervisor took from the VM's cores meanwhile.
 * Summing whole groups instead made PostgreSQL's share negative when pooled connections closed.
 */
export function cpuSpent(before: CpuReading, after: CpuReading): Record<string, number> {
  const spent: Record<string, number> = Object.fromEntries(after.groups.map((g) => [g, 0]));
  for (const [pid, { group, seconds }] of after.processes) {
    const earlier = before.processes.get(pid);
    spent[group] += seconds - (earlier?.group === group ? earlier.seconds : 0);
  }
  const named = Object.values(spent).reduce((sum, seconds) => sum + seconds, 0);
  spent.other = after.machine.busy - before.machine.busy - named;
  spent.steal = after.machine.steal - before.machine.steal;
  return spent;
}

export interface BenchApi {
  /** The owner's URL (see benchDatabaseUrl); the services run as the runtime role. */
  databaseUrl: string;
  /** The environment the API was started with; the worker takes the same. */
  env: Record<string, string>;
  base: string;
  api: Service;
}

/**
 * A fresh benchmark database (empty, or a copy of `template`) and queue prefix, and the real
 * API on a random port, ready.
 */
export async function startBenchApi(
  queuePrefix: string,
  template?: string,
  database = BENCH_DATABASE,
): Promise<BenchApi> {
  const databaseUrl = benchDatabaseUrl(database);
  await recreateDatabase(databaseUrl, template);
  await flushQueue(queuePrefix);
  const port = String(40000 + Math.floor(Math.random() * 10000));
  const env = {
    DATABASE_URL: benchRuntimeUrl(database),
    DATABASE_OWNER_URL: databaseUrl,
    QUEUE_PREFIX: queuePrefix,
    PORT: port,
    ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
  };
  const base = `http://127.0.0.1:${port}`;
  const api = startService('api', env);
  await waitFor(async () => (await fetch(`${base}/health/ready`)).ok, 60_000, 'api ready');
  return { databaseUrl, env, base, api };
}
