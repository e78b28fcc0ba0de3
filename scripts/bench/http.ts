// HTTP benchmark (issue 16): request rates of a read and two writes, each as a share of
// `GET /health` measured in the same run. Run with `npm run bench -- http`.
import { localDateOf, offsetMinutes } from '@app/domain';
import autocannon from 'autocannon';
import { cpus } from 'node:os';
import { Client } from 'pg';
import {
  api,
  cpuReading,
  cpuSpent,
  dropDatabase,
  flushQueue,
  fmt,
  seedClinic,
  Service,
  startBenchApi,
  startService,
  waitFor,
} from './harness';

export interface HttpOptions {
  /** Length of each measured phase. */
  seconds: number;
  /** Length of each endpoint's unmeasured warm-up. */
  warmupSeconds: number;
  connections: number;
  patients: number;
  /**
   * Rounds of a patient read, pain reports and sessions, each between two `/health` phases and
   * with patients of its own; the shares reported are the medians of the rounds'.
   */
  rounds: number;
  /** Targets, as shares of the /health floor; p99 in ms for the writes. */
  readShare: number;
  writeShare: number;
  writeP99Ms: number;
}

const PREFIX = 'sct-bench-http';
const TIMEZONE = 'Europe/Paris';

type Endpoint = 'health' | 'patient' | 'pain' | 'session';

interface Phase {
  label: string;
  round: number | null;
  endpoint: Endpoint;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Rows the phase's 2xx answers stored (writes only), from the database. */
  stored: number | null;
  /** Findings, alerts and outbox rows written during the phase. */
  written: SideEffects;
  cpu: Record<string, number>;
  seconds: number;
}

/** An instant as the patient's wall time with its offset (2026-12-02T10:15:00.123+01:00). */
function withOffset(instant: Date, timeZone: string): string {
  const offset = offsetMinutes(instant, timeZone);
  const wall = new Date(instant.getTime() + offset * 60_000).toISOString().slice(0, 23);
  const abs = Math.abs(offset);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${wall}${offset < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

/**
 * The requests of an endpoint, spread round-robin over the patients, each write with a clientRef
 * of its own (`tag` keeps the phases apart). Pain reports describe a patient who is steady
 * (buttock pain on the left, 3 or 4 out of 10) except that every tenth report of a patient
 * reaches the thigh: that one raises PERIPHERALIZATION (a warning, attached to the alert the
 * setup opened, the program paused) and the next one CENTRALIZING, so the rules' write path is
 * part of the cost.
 * Sessions log the program's exercise; every other one carries pain before and after (two linked
 * pain reports, the rules run on them).
 */
function requestFor(
  endpoint: Endpoint,
  patients: string[],
  keys: { admin: string; app: string },
  tag: string,
): autocannon.Request {
  let sent = 0;
  const json = { 'content-type': 'application/json' };
  switch (endpoint) {
    case 'health':
      return { method: 'GET', path: '/health' };
    case 'patient':
      return {
        method: 'GET',
        headers: { authorization: `Bearer ${keys.admin}` },
        setupRequest: (req) => ({
          ...req,
          path: `/v1/patients/${patients[sent++ % patients.length]}`,
        }),
      };
    case 'pain':
      return {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.app}`, ...json },
        setupRequest: (req) => {
          const n = sent++;
          const seq = Math.floor(n / patients.length);
          const body = {
            clientRef: `${tag}-${n}`,
            reportedAt: withOffset(new Date(Date.now() - 1000), TIMEZONE),
            intensity: 3 + (seq % 2),
            mostDistalSite: seq % 10 === 9 ? 'thigh' : 'buttock',
            side: 'left',
            context: seq % 2 === 0 ? 'baseline' : 'next_day',
          };
          return {
            ...req,
            path: `/v1/patients/${patients[n % patients.length]}/pain-reports`,
            body: JSON.stringify(body),
          };
        },
      };
    case 'session':
      return {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.app}`, ...json },
        setupRequest: (req) => {
          const n = sent++;
          const seq = Math.floor(n / patients.length);
          const pain = { intensity: 3, mostDistalSite: 'buttock', side: 'left' };
          const body = {
            clientRef: `${tag}-${n}`,
            performedAt: withOffset(new Date(Date.now() - 11 * 60_000), TIMEZONE),
            durationMinutes: 10,
            items: [{ exerciseCode: 'prone_press_up', sets: 1, reps: 10 }],
            ...(seq % 2 === 0 ? { painBefore: pain, painAfter: { ...pain, intensity: 2 } } : {}),
          };
          return {
            ...req,
            path: `/v1/patients/${patients[n % patients.length]}/sessions`,
            body: JSON.stringify(body),
          };
        },
      };
  }
}

interface SideEffects {
  findings: number;
  alerts: number;
  outbox: number;
}

/** Rows the rules write beside the records: findings, alerts, outbox events. */
async function sideEffects(db: Client): Promise<SideEffects> {
  const { rows } = await db.query<SideEffects>(
    `SELECT (SELECT count(*)::int FROM findings) AS findings,
            (SELECT count(*)::int FROM alerts) AS alerts,
            (SELECT count(*)::int FROM outbox) AS outbox`,
  );
  return rows[0];
}

/** Rows written with clientRefs of `tag`, to check them against the 2xx answers. */
async function storedRows(db: Client, endpoint: Endpoint, tag: string): Promise<number | null> {
  const table = endpoint === 'pain' ? 'pain_reports' : endpoint === 'session' ? 'sessions' : null;
  if (!table) return null;
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE client_ref LIKE $1`,
    [`${tag}-%`],
  );
  return rows[0].n;
}

/** A round: a patient read, pain reports and sessions between two `/health` phases. */
interface Round {
  round: number;
  /** The mean of the `/health` rates before and after the round. */
  floor: number;
  healthBefore: Phase;
  healthAfter: Phase;
  patient: Phase;
  pain: Phase;
  session: Phase;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function report(opts: HttpOptions, phases: Phase[], rounds: Round[]): string {
  const clean = (p: Phase) => p.non2xx === 0 && p.errors === 0 && p.timeouts === 0;
  const allClean = phases.every(clean);
  const share = (r: Round, p: Phase) => p.perSecond / r.floor;
  const answers = (p: Phase) =>
    `${Object.entries(p.statuses)
      .map(([code, n]) => `${fmt(n)} × ${code}`)
      .join(
        ', ',
      )}${p.errors ? `; ${p.errors} errors (${p.timeouts} timeouts)` : ''}${p.stored === null ? '' : `; ${fmt(p.stored)} stored (with the requests in flight at the end), ${fmt(p.written.findings)} findings, ${fmt(p.written.alerts)} alerts opened, ${fmt(p.written.outbox)} outbox rows`}`;
  const status = (met: boolean) =>
    !allClean ? '**not measured** (non-2xx or errors)' : met ? 'met' : '**not met**';
  const perRequest = (p: Phase) =>
    `${fmt((p.cpu.api / p.requests) * 1e6)}, ${fmt((p.cpu.postgres / p.requests) * 1e6)} µs`;
  const read = median(rounds.map((r) => share(r, r.patient)));
  const write = (pick: (r: Round) => Phase) => {
    const shares = rounds.map((r) => share(r, pick(r)));
    const worstP99 = Math.max(...rounds.map((r) => pick(r).p99));
    const m = median(shares);
    return {
      cell: `${shares.map((x) => `${fmt(x, 2)}×`).join(', ')}; p99 at most ${fmt(worstP99)} ms`,
      median: m,
      met: m >= opts.writeShare && worstP99 < opts.writeP99Ms,
    };
  };
  const pain = write((r) => r.pain);
  const session = write((r) => r.session);
  const byEndpoint = (['health', 'patient', 'pain', 'session'] as const).map((endpoint) => {
    const of = phases.filter((p) => p.endpoint === endpoint);
    const cpu: Record<string, number> = {};
    for (const p of of)
      for (const [name, seconds] of Object.entries(p.cpu)) cpu[name] = (cpu[name] ?? 0) + seconds;
    const requests = of.reduce((sum, p) => sum + p.requests, 0);
    return { endpoint, phases: of.length, cpu, requests };
  });
  const label: Record<Endpoint, string> = {
    health: 'GET /health',
    patient: 'GET /v1/patients/{id}',
    pain: 'POST /v1/patients/{id}/pain-reports',
    session: 'POST /v1/patients/{id}/sessions',
  };

  return [
    `${opts.connections} connections (autocannon, in the benchmark process), ${opts.seconds} s per phase after ${opts.warmupSeconds} s of unmeasured warm-up per endpoint. ${rounds.length} round${rounds.length === 1 ? '' : 's'}, each of a patient read, pain reports and sessions over ${opts.patients} patients of its own (round-robin), between two \`GET /health\` phases: **a round's floor is the mean of those two**, and each target is judged on the **median of the rounds' shares** (the p99 bound on every round).`,
    '',
    `| round | floor: \`/health\` before / after | GET a patient | pain reports (p99) | sessions (p99) | CPU per pain report / session: API, PostgreSQL | stolen by the hypervisor (read, pain, sessions) |`,
    `|---|---|---|---|---|---|---|`,
    ...rounds.map(
      (r) =>
        `| ${r.round} | **${fmt(r.floor)}** req/s: ${fmt(r.healthBefore.perSecond)} / ${fmt(r.healthAfter.perSecond)} | ${fmt(share(r, r.patient), 2)}× (${fmt(r.patient.perSecond)} req/s) | ${fmt(share(r, r.pain), 2)}× (${fmt(r.pain.perSecond)} req/s, ${fmt(r.pain.p99)} ms) | ${fmt(share(r, r.session), 2)}× (${fmt(r.session.perSecond)} req/s, ${fmt(r.session.p99)} ms) | ${perRequest(r.pain)} / ${perRequest(r.session)} | ${[r.patient, r.pain, r.session].map((p) => fmt(p.cpu.steal, 1)).join(', ')} CPU-s |`,
    ),
    '',
    `| target (issue 16) | the rounds | median | status |`,
    `|---|---|---|---|`,
    `| \`GET /v1/patients/{id}\` ≥ ${opts.readShare} × \`/health\` | ${rounds.map((r) => `${fmt(share(r, r.patient), 2)}×`).join(', ')} | **${fmt(read, 2)}×** | ${status(read >= opts.readShare)} |`,
    `| \`POST …/pain-reports\` ≥ ${opts.writeShare} ×, p99 < ${opts.writeP99Ms} ms | ${pain.cell} | **${fmt(pain.median, 2)}×** | ${status(pain.met)} |`,
    `| \`POST …/sessions\` ≥ ${opts.writeShare} ×, p99 < ${opts.writeP99Ms} ms | ${session.cell} | **${fmt(session.median, 2)}×** | ${status(session.met)} |`,
    `| every answer 2xx | ${allClean ? 'no other status, socket error or timeout' : 'see the phases below'} | – | ${allClean ? 'met' : '**not met**'} |`,
    '',
    `| phase (in this order) | req/s | latency p50 / p99 | answers |`,
    `|---|---|---|---|`,
    ...phases.map(
      (p) => `| ${p.label} | ${fmt(p.perSecond)} | ${p.p50} / ${p.p99} ms | ${answers(p)} |`,
    ),
    '',
    `| CPU seconds, all phases of an endpoint (${fmt(opts.seconds * cpus().length)} available a phase on ${cpus().length} cores) | split | per request: API / PostgreSQL / worker |`,
    `|---|---|---|`,
    ...byEndpoint.map(
      (e) =>
        `| ${label[e.endpoint]} (${e.phases} phase${e.phases === 1 ? '' : 's'}) | ${Object.entries(
          e.cpu,
        )
          .map(([name, seconds]) => `${name} ${fmt(seconds, 1)}`)
          .join(
            ', ',
          )} | ${fmt((e.cpu.api / e.requests) * 1e6)} µs / ${fmt((e.cpu.postgres / e.requests) * 1e6)} µs / ${fmt((e.cpu.worker / e.requests) * 1e6)} µs |`,
    ),
  ].join('\n');
}

export async function benchHttp(opts: HttpOptions): Promise<string> {
  const { databaseUrl, env, base, api: apiService } = await startBenchApi(PREFIX);
  // The worker runs as in production: it relays the outbox rows the pain rules write.
  const worker: Service = startService('worker', env);
  const services = { api: apiService, worker };
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // A group of patients for the warm-up, and one for each round: every round writes to
    // patients whose history starts the same (the rules read it, so a round that wrote to the
    // previous one's patients would pay for its history).
    const groups = opts.rounds + 1;
    const clinic = await seedClinic(base, opts.patients * groups, TIMEZONE);
    const groupOf = (g: number) =>
      clinic.patientIds.slice(g * opts.patients, (g + 1) * opts.patients);
    const startDate = localDateOf(new Date(), TIMEZONE);
    for (const id of clinic.patientIds) {
      await api(base, `/v1/patients/${id}/programs`, {
        method: 'POST',
        key: clinic.adminKey,
        body: JSON.stringify({
          startDate,
          items: [{ exerciseCode: 'prone_press_up', sets: 1, reps: 10, timesPerDay: 3 }],
        }),
      });
    }
    const keys = { admin: clinic.adminKey, app: clinic.appKey };
    const url = new URL(base);
    const runTag = `bench-${Date.now()}`;
    // Every patient's PERIPHERALIZATION alert is open before any phase, so that the measured
    // reports attach to it whatever the machine's speed (how many warm-up reports ran decided
    // whether the alerts opened in the warm-up or in the measured phase).
    for (const [i, id] of clinic.patientIds.entries()) {
      for (const mostDistalSite of ['buttock', 'thigh']) {
        await api(base, `/v1/patients/${id}/pain-reports`, {
          method: 'POST',
          key: clinic.appKey,
          body: JSON.stringify({
            clientRef: `${runTag}-setup-${i}-${mostDistalSite}`,
            reportedAt: withOffset(new Date(Date.now() - 60_000), TIMEZONE),
            intensity: 3,
            mostDistalSite,
            side: 'left',
            context: 'baseline',
          }),
        });
      }
    }

    const run = async (
      label: string,
      endpoint: Endpoint,
      seconds: number,
      group: number,
      round: number | null,
    ): Promise<Phase> => {
      // Whatever the previous phase queued (outbox rows to relay) is done before the next starts.
      await waitFor(
        async () =>
          (await db.query('SELECT 1 FROM outbox WHERE relayed_at IS NULL LIMIT 1')).rowCount === 0,
        60_000,
        'outbox relayed',
      );
      const tag = `${runTag}-${label.replace(/\W+/g, '-')}`;
      const failures: string[] = [];
      const request = requestFor(endpoint, groupOf(group), keys, tag);
      request.onResponse = (status, body) => {
        if ((status < 200 || status > 299) && failures.length < 3)
          failures.push(`${status} ${body.slice(0, 300)}`);
      };
      const effectsBefore = await sideEffects(db);
      const cpuBefore = cpuReading(services);
      const result = await autocannon({
        url: url.origin,
        connections: opts.connections,
        duration: seconds,
        requests: [request],
      });
      const cpu = cpuSpent(cpuBefore, cpuReading(services));
      for (const failure of failures) process.stderr.write(`${label}: ${failure}\n`);
      const statuses = Object.fromEntries(
        Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]),
      );
      const requests = Object.values(statuses).reduce((sum, n) => sum + n, 0);
      const phase: Phase = {
        label,
        round,
        endpoint,
        requests,
        perSecond: requests / result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        statuses,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        stored: await storedRows(db, endpoint, tag),
        written: await sideEffects(db).then((after) => ({
          findings: after.findings - effectsBefore.findings,
          alerts: after.alerts - effectsBefore.alerts,
          outbox: after.outbox - effectsBefore.outbox,
        })),
        cpu,
        seconds: result.duration,
      };
      process.stdout.write(
        `${label}: ${fmt(phase.perSecond)} req/s, p50 ${phase.p50} ms, p99 ${phase.p99} ms, statuses ${JSON.stringify(statuses)}, errors ${phase.errors}\n`,
      );
      return phase;
    };

    // Warm-up, not measured, on patients of its own: V8 compiles the routes, the pools fill,
    // the caches fill.
    for (const endpoint of ['health', 'patient', 'pain', 'session'] as const)
      await run(`warm-up ${endpoint}`, endpoint, opts.warmupSeconds, 0, null);
    // Statistics as autovacuum would have them by now: the PostgreSQL of this machine (and of
    // CI) runs with autovacuum off, so without this the planner would keep planning for the
    // nearly empty tables the setup started from.
    await db.query('ANALYZE');

    const phases: Phase[] = [await run('GET /health (1)', 'health', opts.seconds, 0, null)];
    const rounds: Round[] = [];
    for (let r = 1; r <= opts.rounds; r++) {
      const patient = await run(`GET /v1/patients/{id} (${r})`, 'patient', opts.seconds, r, r);
      const pain = await run(`POST …/pain-reports (${r})`, 'pain', opts.seconds, r, r);
      const session = await run(`POST …/sessions (${r})`, 'session', opts.seconds, r, r);
      const healthBefore = phases[phases.length - 1];
      const healthAfter = await run(`GET /health (${r + 1})`, 'health', opts.seconds, 0, null);
      phases.push(patient, pain, session, healthAfter);
      const floor = (healthBefore.perSecond + healthAfter.perSecond) / 2;
      rounds.push({ round: r, floor, healthBefore, healthAfter, patient, pain, session });
    }
    return report(opts, phases, rounds);
  } finally {
    await db.end();
    await worker.stop();
    await apiService.stop();
    await dropDatabase(databaseUrl);
    await flushQueue(PREFIX);
  }
}
