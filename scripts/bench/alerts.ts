// Alert latency benchmark (issue: alerts and webhooks). Run with `npm run bench -- alerts`.
//
// The time from a pain report's 201 answer to the arrival of its signed webhook at a receiver
// on 127.0.0.1 in this process, through the real API and worker: the report's transaction
// writes the alert and an outbox row, the worker's relay (LISTEN/NOTIFY, polling) queues the
// event, the fan-out creates a delivery row and queues an attempt, the attempt POSTs. Each
// report is for a fresh patient (one open alert per patient and rule), one at a time; measured
// idle, then while the ingest benchmark's load runs.
import { signWebhook } from '@app/domain';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { allCompleted, makeSamples, nativeBodies, postAll } from './ingest';
import {
  api,
  cpuReading,
  cpuSpent,
  benchDatabaseUrl,
  dropDatabase,
  flushQueue,
  fmt,
  percentile,
  seedClinic,
  Service,
  startBenchApi,
  startService,
} from './harness';

export interface AlertsOptions {
  /** Reports measured per phase (idle, under load), one at a time, each for a fresh patient. */
  reports: number;
  /** Reports sent first and not counted (the worker's first jobs, connections, JIT). */
  warmup: number;
  /** Pause after each webhook arrives, before the next report. */
  pauseMs: number;
  /** The ingest load: rounds of `importsPerRound` native imports of `batch` samples each. */
  importsPerRound: number;
  batch: number;
  clients: number;
  /** The target for the p95 of 201 → webhook, in ms. */
  targetP95Ms: number;
}

const PREFIX = 'sct-bench-alerts';
const WEBHOOK_TIMEOUT_MS = 30_000;
/** Patients for the load's rounds; a round past them reuses one with its samples moved back. */
const LOAD_PATIENTS = 20;

/** Wall-clock milliseconds with sub-millisecond resolution, comparable to PostgreSQL's now(). */
const wall = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Arrival {
  at: number;
  webhookId: string;
  timestamp: string;
  signature: string;
  body: string;
  patientId: string | null;
}

/** The local receiver: answers 200 at once, remembers every request, wakes whoever waits. */
class Receiver {
  readonly arrivals: Arrival[] = [];
  private readonly waiting = new Map<string, (a: Arrival) => void>();
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = wall();
        const body = Buffer.concat(chunks).toString('utf8');
        const header = (h: IncomingHttpHeaders, name: string) => String(h[name] ?? '');
        let patientId: string | null = null;
        try {
          patientId =
            (JSON.parse(body) as { data?: { patientId?: string } }).data?.patientId ?? null;
        } catch {
          // counted below as an arrival without a patient
        }
        const arrival: Arrival = {
          at,
          webhookId: header(req.headers, 'webhook-id'),
          timestamp: header(req.headers, 'webhook-timestamp'),
          signature: header(req.headers, 'webhook-signature'),
          body,
          patientId,
        };
        this.arrivals.push(arrival);
        res.writeHead(200).end();
        const wake = patientId ? this.waiting.get(patientId) : undefined;
        if (wake && patientId) {
          this.waiting.delete(patientId);
          wake(arrival);
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/sciatrack`;
  }

  /** Must be called before the report is posted, so that an early arrival is not missed. */
  expect(patientId: string): Promise<Arrival | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(patientId);
        resolve(null);
      }, WEBHOOK_TIMEOUT_MS);
      this.waiting.set(patientId, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

interface Measurement {
  patientId: string;
  postMs: number;
  healthMs: number;
  answeredAt: number;
  arrival: Arrival | null;
}

interface Phase {
  label: string;
  measurements: Measurement[];
  seconds: number;
  cpu: Record<string, number>;
  load?: LoadSummary;
}

async function roundTrip(base: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${base}/health`);
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`GET /health → ${res.status}`);
  return performance.now() - t0;
}

async function measureOne(
  base: string,
  appKey: string,
  receiver: Receiver,
  patientId: string,
): Promise<Measurement> {
  const healthMs = await roundTrip(base);
  const arriving = receiver.expect(patientId);
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/patients/${patientId}/pain-reports`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${appKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      clientRef: randomUUID(),
      reportedAt: new Date(Date.now() - 60_000).toISOString(),
      intensity: 5,
      mostDistalSite: 'low_back',
      context: 'baseline',
      redFlags: { fever: true },
    }),
  });
  const answeredAt = wall();
  const postMs = performance.now() - t0;
  const text = await res.text();
  if (res.status !== 201)
    throw new Error(`pain report answered ${res.status}: ${text.slice(0, 300)}`);
  const { findings } = JSON.parse(text) as { findings: { rule: string; severity: string }[] };
  if (!findings.some((f) => f.rule === 'RED_FLAG_SYSTEMIC' && f.severity === 'urgent'))
    throw new Error(`no urgent RED_FLAG_SYSTEMIC finding: ${text.slice(0, 300)}`);
  const arrival = await arriving;
  return { patientId, postMs, healthMs, answeredAt, arrival };
}

// ---- The ingest benchmark's load: rounds of native imports, 8 clients, until completed. ----
interface LoadSummary {
  rounds: number;
  imports: number;
  rows: number;
  /** From the first import posted to the last round's completion. */
  seconds: number;
  postLatencies: number[];
}

class IngestLoad {
  private stopping = false;
  private running?: Promise<LoadSummary>;
  private readonly bodies = new Map<number, string[]>();

  constructor(
    private readonly base: string,
    private readonly appKey: string,
    private readonly db: Client,
    private readonly patients: string[],
    private readonly opts: AlertsOptions,
  ) {}

  private bodiesFor(offset: number): string[] {
    let bodies = this.bodies.get(offset);
    if (!bodies) {
      const days = Math.ceil((this.opts.importsPerRound * this.opts.batch) / 1440) + 1;
      // Day offsets go backwards from the ingest benchmark's samples, so no round replays another.
      bodies = nativeBodies(
        makeSamples(this.opts.importsPerRound * this.opts.batch, -offset * days),
        this.opts.batch,
      );
      this.bodies.set(offset, bodies);
    }
    return bodies;
  }

  /** Builds the first round's bodies before anything is timed. */
  prepare(): void {
    this.bodiesFor(0);
  }

  start(): void {
    this.running = this.loop();
    // Handled when stop() awaits it; until then a failure must not end the process.
    this.running.catch(() => undefined);
  }

  async stop(): Promise<LoadSummary> {
    this.stopping = true;
    return this.running!;
  }

  private async loop(): Promise<LoadSummary> {
    const summary: LoadSummary = { rounds: 0, imports: 0, rows: 0, seconds: 0, postLatencies: [] };
    const started = performance.now();
    for (let round = 0; !this.stopping; round++) {
      const patient = this.patients[round % this.patients.length];
      const bodies = this.bodiesFor(Math.floor(round / this.patients.length));
      const posted = await postAll(this.base, this.appKey, patient, bodies, this.opts.clients);
      summary.postLatencies.push(...posted.latencies);
      await allCompleted(this.db, posted.ids, 600_000);
      const ids = posted.ids;
      summary.rounds++;
      summary.imports += ids.length;
      summary.rows += ids.length * this.opts.batch;
    }
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  }
}

// ---- Where the time went, from the rows the service stamps. ----

interface Stamps {
  event_id: string;
  outbox_created: number;
  relayed: number;
  delivery_created: number;
  attempted: number;
  delivered: number | null;
  attempts: number;
  status: string;
}

async function stampsOf(db: Client, eventIds: string[]): Promise<Map<string, Stamps>> {
  const { rows } = await db.query<Stamps>(
    `SELECT o.id AS event_id,
            extract(epoch FROM o.created_at) * 1000 AS outbox_created,
            extract(epoch FROM o.relayed_at) * 1000 AS relayed,
            extract(epoch FROM d.created_at) * 1000 AS delivery_created,
            extract(epoch FROM d.last_attempt_at) * 1000 AS attempted,
            extract(epoch FROM d.delivered_at) * 1000 AS delivered,
            d.attempts, d.status
     FROM outbox o JOIN webhook_deliveries d ON d.event_id = o.id
     WHERE o.id = ANY($1)`,
    [eventIds],
  );
  return new Map(
    rows.map((r) => [
      r.event_id,
      {
        ...r,
        outbox_created: Number(r.outbox_created),
        relayed: Number(r.relayed),
        delivery_created: Number(r.delivery_created),
        attempted: Number(r.attempted),
        delivered: r.delivered === null ? null : Number(r.delivered),
      },
    ]),
  );
}

const STAGES: {
  label: string;
  from: (m: Measurement, s: Stamps) => number;
  to: (m: Measurement, s: Stamps) => number;
}[] = [
  {
    label: 'API: report transaction begins (`outbox.created_at`) → 201 read by the client',
    from: (_, s) => s.outbox_created,
    to: (m) => m.answeredAt,
  },
  {
    label: '201 → relay stamps the row (`outbox.relayed_at`: NOTIFY, relay pass)',
    from: (m) => m.answeredAt,
    to: (_, s) => s.relayed,
  },
  {
    label:
      'relayed → fan-out inserts the delivery (`webhook_deliveries.created_at`: `webhook.event` job queued and picked up)',
    from: (_, s) => s.relayed,
    to: (_, s) => s.delivery_created,
  },
  {
    label:
      'delivery created → attempt claimed (`last_attempt_at`: `webhook.deliver` job queued and picked up, lease taken)',
    from: (_, s) => s.delivery_created,
    to: (_, s) => s.attempted,
  },
  {
    label: 'attempt claimed → webhook received (secret opened, signed, connected, sent)',
    from: (_, s) => s.attempted,
    to: (m) => m.arrival!.at,
  },
];

// ---- The benchmark. ----

export async function benchAlerts(opts: AlertsOptions): Promise<string> {
  // The API refuses loopback endpoint URLs unless this is on; the harness passes the benchmark
  // process's environment through to the processes it starts.
  const previousAllow = process.env.WEBHOOK_ALLOW_PRIVATE_URLS;
  process.env.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
  const receiver = new Receiver();
  const url = await receiver.start();
  let apiService: Service | undefined;
  let worker: Service | undefined;
  let db: Client | undefined;
  try {
    const started = await startBenchApi(PREFIX);
    apiService = started.api;
    const { base, env, databaseUrl } = started;
    worker = startService('worker', { ...env, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    db = new Client({ connectionString: databaseUrl });
    await db.connect();

    const clinic = await seedClinic(base, opts.warmup + 2 * opts.reports + LOAD_PATIENTS);
    const patients = [...clinic.patientIds];
    const warmupPatients = patients.splice(0, opts.warmup);
    const idlePatients = patients.splice(0, opts.reports);
    const loadedPatients = patients.splice(0, opts.reports);
    const loadPatients = patients;
    const endpoint = await api<{ id: string; secret: string }>(base, '/v1/webhook-endpoints', {
      method: 'POST',
      key: clinic.adminKey,
      body: JSON.stringify({ url, events: ['alert.created', 'alert.escalated'] }),
    });

    // Warm-up: also waits for the worker to be up and consuming.
    for (const patientId of warmupPatients) {
      const m = await measureOne(base, clinic.appKey, receiver, patientId);
      if (!m.arrival) throw new Error('the warm-up webhook did not arrive');
    }

    const phase = async (label: string, ofPatients: string[]): Promise<Phase> => {
      const services = { api: apiService!, worker: worker! };
      const before = cpuReading(services);
      const t0 = performance.now();
      const measurements: Measurement[] = [];
      for (const patientId of ofPatients) {
        measurements.push(await measureOne(base, clinic.appKey, receiver, patientId));
        await sleep(opts.pauseMs);
      }
      const seconds = (performance.now() - t0) / 1000;
      const cpu = cpuSpent(before, cpuReading(services));
      const missing = measurements.filter((m) => !m.arrival).length;
      process.stdout.write(
        `${label}: ${measurements.length} reports in ${fmt(seconds, 1)} s, webhook p50 ${fmt(
          percentile(latencies(measurements), 50),
          1,
        )} ms, p95 ${fmt(percentile(latencies(measurements), 95), 1)} ms${missing ? `, ${missing} missing` : ''}\n`,
      );
      return { label, measurements, seconds, cpu };
    };

    const idle = await phase('idle', idlePatients);

    const load = new IngestLoad(base, clinic.appKey, db, loadPatients, opts);
    load.prepare();
    load.start();
    // Let the first imports reach the worker before the first report.
    await sleep(2000);
    const loaded = await phase('under ingest load', loadedPatients);
    loaded.load = await load.stop();

    // Late duplicates would arrive within a relay poll and a sweep: wait them out, then count.
    await sleep(3000);
    const phases = [idle, loaded];
    const expected = opts.warmup + 2 * opts.reports;
    const ids = receiver.arrivals.map((a) => a.webhookId);
    const distinct = new Set(ids).size;
    const badSignatures = receiver.arrivals.filter((a) => {
      const mine = signWebhook(endpoint.secret, a.webhookId, Number(a.timestamp), a.body);
      return !a.signature.split(' ').includes(mine);
    }).length;
    const { rows: dbRows } = await db.query<{
      delivered: number;
      attempts: number;
      alerts: number;
    }>(
      `SELECT (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'delivered') AS delivered,
              (SELECT coalesce(sum(attempts), 0)::int FROM webhook_deliveries) AS attempts,
              (SELECT count(*)::int FROM alerts) AS alerts`,
    );

    const measured = phases.flatMap((p) => p.measurements).filter((m) => m.arrival);
    const stamps = await stampsOf(
      db,
      measured.map((m) => m.arrival!.webhookId),
    );

    return table(opts, phases, stamps, {
      expected,
      received: receiver.arrivals.length,
      distinct,
      badSignatures,
      ...dbRows[0],
    });
  } finally {
    await db?.end();
    await worker?.stop();
    await apiService?.stop();
    await receiver.stop();
    await dropDatabase(benchDatabaseUrl());
    await flushQueue(PREFIX);
    if (previousAllow === undefined) delete process.env.WEBHOOK_ALLOW_PRIVATE_URLS;
    else process.env.WEBHOOK_ALLOW_PRIVATE_URLS = previousAllow;
  }
}

function latencies(measurements: Measurement[]): number[] {
  return measurements.filter((m) => m.arrival).map((m) => m.arrival!.at - m.answeredAt);
}

function table(
  opts: AlertsOptions,
  phases: Phase[],
  stamps: Map<string, Stamps>,
  check: {
    expected: number;
    received: number;
    distinct: number;
    badSignatures: number;
    delivered: number;
    attempts: number;
    alerts: number;
  },
): string {
  const ms = (n: number) => `${fmt(n, 1)} ms`;
  const cells = (f: (p: Phase) => string) => phases.map(f).join(' | ');
  const p = (values: number[], q: number) => (values.length ? percentile(values, q) : NaN);
  const rows: string[] = [
    `| measure | idle | under ingest load |`,
    `|---|---|---|`,
    `| reports measured (one at a time, ${opts.pauseMs} ms apart, each for a fresh patient); phase length | ${cells(
      (ph) => `${ph.measurements.length}; ${fmt(ph.seconds, 1)} s`,
    )} |`,
    `| baseline: pain report \`POST\` → 201, p50 / p95 | ${cells(
      (ph) =>
        `${ms(
          p(
            ph.measurements.map((m) => m.postMs),
            50,
          ),
        )} / ${ms(
          p(
            ph.measurements.map((m) => m.postMs),
            95,
          ),
        )}`,
    )} |`,
    `| \`GET /health\` round trip before each report, p50 / p95 | ${cells(
      (ph) =>
        `${ms(
          p(
            ph.measurements.map((m) => m.healthMs),
            50,
          ),
        )} / ${ms(
          p(
            ph.measurements.map((m) => m.healthMs),
            95,
          ),
        )}`,
    )} |`,
    `| **201 → webhook received**, p50 / p95 / max (target p95 < ${fmt(opts.targetP95Ms)} ms) | ${cells(
      (ph) => {
        const l = latencies(ph.measurements);
        const missing = ph.measurements.length - l.length;
        return `${ms(p(l, 50))} / **${ms(p(l, 95))}** / ${ms(Math.max(...l))}${missing ? ` (${missing} not received within ${WEBHOOK_TIMEOUT_MS / 1000} s)` : ''}`;
      },
    )} |`,
    `| 201 → webhook ÷ \`POST\` → 201, p50 ÷ p50 | ${cells(
      (ph) =>
        `**${fmt(
          p(latencies(ph.measurements), 50) /
            p(
              ph.measurements.map((m) => m.postMs),
              50,
            ),
          1,
        )}×**`,
    )} |`,
    `| p95 under the target | ${cells((ph) =>
      p(latencies(ph.measurements), 95) < opts.targetP95Ms ? 'met' : '**not met**',
    )} |`,
  ];
  for (const stage of STAGES) {
    rows.push(
      `| ${stage.label}, p50 / p95 | ${cells((ph) => {
        const values = ph.measurements
          .filter((m) => m.arrival && stamps.has(m.arrival.webhookId))
          .map((m) => {
            const s = stamps.get(m.arrival!.webhookId)!;
            return stage.to(m, s) - stage.from(m, s);
          });
        return `${ms(p(values, 50))} / ${ms(p(values, 95))}`;
      })} |`,
    );
  }
  rows.push(
    `| deliveries that needed more than one attempt | ${cells((ph) =>
      String(
        ph.measurements.filter(
          (m) => m.arrival && (stamps.get(m.arrival.webhookId)?.attempts ?? 0) > 1,
        ).length,
      ),
    )} |`,
    `| ingest load during the phase | – | ${
      phases[1]?.load
        ? `${phases[1].load.rounds} rounds of ${opts.importsPerRound} native imports of ${fmt(opts.batch)} samples from ${opts.clients} concurrent clients, each round until completed: ${fmt(phases[1].load.rows)} rows in ${fmt(phases[1].load.seconds, 1)} s (${fmt(phases[1].load.rows / phases[1].load.seconds)} rows/s); import \`POST\` p50 ${ms(percentile(phases[1].load.postLatencies, 50))}`
        : '–'
    } |`,
    `| CPU seconds during the phase | ${cells((ph) =>
      Object.entries(ph.cpu)
        .map(([name, s]) => `${name} ${fmt(s, 1)}`)
        .join(', '),
    )} |`,
  );
  const once = check.received === check.distinct && check.distinct === check.expected;
  const summary = [
    '',
    `Exactly once: ${check.expected} alerts expected (warm-up included), ${check.alerts} alerts in the database, ` +
      `**${check.received} webhooks received with ${check.distinct} distinct \`webhook-id\`s** ` +
      `(${once ? 'each delivered exactly once' : '**not exactly once**'}); ${check.delivered} deliveries \`delivered\` ` +
      `in ${check.attempts} attempts; ${check.badSignatures} signatures that do not verify with the endpoint's secret.`,
  ];
  return [...rows, ...summary].join('\n');
}
