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
  /** Targets, as shares of the /health floor; p99 in ms for the writes. */
  readShare: number;
  writeShare: number;
  writeP99Ms: number;
}

const PREFIX = '{sct-bench-http}';
const TIMEZONE = 'Europe/Paris';

type Endpoint = 'health' | 'patient' | 'pain' | 'session';

interface Phase {
  label: string;
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

export async function benchHttp(opts: HttpOptions): Promise<string> {
  const { databaseUrl, env, base, api: apiService } = await startBenchApi(PREFIX);
  // The worker runs as in production: it relays the outbox rows the pain rules write.
  const worker: Service = startService('worker', env);
  const services = { api: apiService, worker };
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const clinic = await seedClinic(base, opts.patients, TIMEZONE);
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

    const run = async (label: string, endpoint: Endpoint, seconds: number): Promise<Phase> => {
      // Whatever the previous phase queued (outbox rows to relay) is done before the next starts.
      await waitFor(
        async () =>
          (await db.query('SELECT 1 FROM outbox WHERE relayed_at IS NULL LIMIT 1')).rowCount === 0,
        60_000,
        'outbox relayed',
      );
      const tag = `${runTag}-${label.replace(/\W+/g, '-')}`;
      const failures: string[] = [];
      const request = requestFor(endpoint, clinic.patientIds, keys, tag);
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

    // Warm-up, not measured: V8 compiles the routes, the pools fill, the caches fill.
    for (const endpoint of ['health', 'patient', 'pain', 'session'] as const)
      await run(`warm-up ${endpoint}`, endpoint, opts.warmupSeconds);

    const healthBefore = await run('GET /health (before)', 'health', opts.seconds);
    const patient = await run('GET /v1/patients/{id}', 'patient', opts.seconds);
    const pain = await run('POST /v1/patients/{id}/pain-reports', 'pain', opts.seconds);
    const session = await run('POST /v1/patients/{id}/sessions', 'session', opts.seconds);
    const healthAfter = await run('GET /health (after)', 'health', opts.seconds);
    const floor = (healthBefore.perSecond + healthAfter.perSecond) / 2;

    const clean = (p: Phase) => p.non2xx === 0 && p.errors === 0 && p.timeouts === 0;
    const answers = (p: Phase) =>
      `${Object.entries(p.statuses)
        .map(([code, n]) => `${fmt(n)} × ${code}`)
        .join(
          ', ',
        )}${p.errors ? `; ${p.errors} errors (${p.timeouts} timeouts)` : ''}${p.stored === null ? '' : `; ${fmt(p.stored)} stored (with the requests in flight at the end), ${fmt(p.written.findings)} findings, ${fmt(p.written.alerts)} alerts opened, ${fmt(p.written.outbox)} outbox rows`}`;
    const status = (met: boolean, p: Phase) =>
      !clean(p) ? '**not measured** (non-2xx or errors)' : met ? 'met' : '**not met**';
    const row = (p: Phase, target: string, met: boolean | null) =>
      `| ${p.label} | ${fmt(p.perSecond)} | ${p.endpoint === 'health' ? '–' : `**${fmt(p.perSecond / floor, 2)}×**`} | ${p.p50} / ${p.endpoint === 'health' ? p.p99 : `**${p.p99}**`} ms | ${answers(p)} | ${target} | ${met === null ? (clean(p) ? '–' : '**non-2xx or errors**') : status(met, p)} |`;
    const writeTarget = `≥ ${opts.writeShare}× and p99 < ${opts.writeP99Ms} ms`;
    const writeMet = (p: Phase) =>
      p.perSecond >= opts.writeShare * floor && p.p99 < opts.writeP99Ms;
    const cpuRow = (p: Phase) =>
      `| ${p.label} | ${Object.entries(p.cpu)
        .map(([name, seconds]) => `${name} ${fmt(seconds, 1)}`)
        .join(
          ', ',
        )} | ${fmt((p.cpu.api / p.requests) * 1e6)} µs / ${fmt((p.cpu.postgres / p.requests) * 1e6)} µs / ${fmt((p.cpu.worker / p.requests) * 1e6)} µs |`;
    const phases = [healthBefore, patient, pain, session, healthAfter];

    return [
      `${opts.connections} connections (autocannon, in the benchmark process), ${opts.seconds} s per phase after ${opts.warmupSeconds} s of unmeasured warm-up per endpoint; requests spread round-robin over ${opts.patients} patients. **Floor: \`GET /health\`, mean of the runs before and after the others: ${fmt(floor)} req/s** (${fmt(healthBefore.perSecond)} before, ${fmt(healthAfter.perSecond)} after).`,
      '',
      `| phase (in this order) | req/s | ÷ floor | latency p50 / p99 | answers | target | status |`,
      `|---|---|---|---|---|---|---|`,
      row(healthBefore, 'floor', null),
      row(patient, `≥ ${opts.readShare}×`, patient.perSecond >= opts.readShare * floor),
      row(pain, writeTarget, writeMet(pain)),
      row(session, writeTarget, writeMet(session)),
      row(healthAfter, 'floor', null),
      '',
      `| CPU seconds during the phase (${fmt(opts.seconds * cpus().length)} available on ${cpus().length} cores) | split | per request: API / PostgreSQL / worker |`,
      `|---|---|---|`,
      ...phases.map(cpuRow),
    ].join('\n');
  } finally {
    await db.end();
    await worker.stop();
    await apiService.stop();
    await dropDatabase(databaseUrl);
    await flushQueue(PREFIX);
  }
}
