// `npm run bench`: runs the benchmarks and rewrites their sections of BENCHMARKS.md.
import 'reflect-metadata';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './harness';
import { benchAdherence } from './adherence';
import { benchAlerts } from './alerts';
import { benchFhirExport } from './fhir-export';
import { benchHttp } from './http';
import { benchIngest } from './ingest';
import { benchPartitions } from './partitions';
import { benchWorklist } from './worklist';

interface Bench {
  title: string;
  run: () => Promise<string>;
}

const quick = process.env.BENCH_QUICK === 'true';

const BENCHES: Record<string, Bench> = {
  ingest: {
    title: 'Wearable ingest',
    run: () =>
      benchIngest({
        samples: quick ? 20_000 : 200_000,
        batch: 1000,
        clients: 8,
        appleMegabytes: process.env.BENCH_SKIP_APPLE === 'true' ? 0 : quick ? 20 : 200,
        runs: quick ? 1 : Number(process.env.BENCH_RUNS ?? 5),
      }),
  },
  partitions: {
    title: 'Partitioned samples',
    run: () =>
      benchPartitions({
        patients: quick ? 8 : 2000,
        ingestPatients: quick ? 8 : 400,
        days: 90,
        everyMinutes: 60,
        runs: quick ? 2 : Number(process.env.BENCH_RUNS ?? 8),
        recomputeRuns: quick ? 2 : 5,
        clients: 8,
      }),
  },
  adherence: {
    title: 'Adherence',
    run: () =>
      benchAdherence({
        patients: quick ? 10_000 : 100_000,
        dashboardPatients: quick ? 2_000 : 10_000,
        days: 90,
        loopPatients: quick ? 500 : 5_000,
        dashboardRequests: quick ? 50 : 200,
        workers: Number(process.env.BENCH_WORKERS ?? 2),
      }),
  },
  http: {
    title: 'HTTP request rates',
    run: () =>
      benchHttp({
        seconds: quick ? 3 : 12,
        warmupSeconds: quick ? 1 : 3,
        connections: 32,
        patients: 64,
        rounds: quick ? 1 : Number(process.env.BENCH_ROUNDS ?? 3),
        readShare: 0.5,
        writeShare: 0.2,
        writeP99Ms: 250,
      }),
  },
  worklist: {
    title: 'Clinician worklist',
    run: () =>
      benchWorklist({
        patients: quick ? 2_000 : 10_000,
        clinicianPatients: 500,
        clinicians: 20,
        requests: quick ? 50 : 200,
        targetP95Ms: 50,
      }),
  },
  'fhir-export': {
    title: 'FHIR Bulk Data export',
    run: () =>
      benchFhirExport({
        patients: quick ? 200 : 1000,
        days: 90,
        targetSeconds: 60,
        targetRssMb: 300,
      }),
  },
  alerts: {
    title: 'Alert latency',
    run: () =>
      benchAlerts({
        reports: quick ? 20 : 200,
        warmup: quick ? 2 : 5,
        pauseMs: 100,
        importsPerRound: 200,
        batch: 1000,
        clients: 8,
        targetP95Ms: 1000,
      }),
  },
};

function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${body}\n${end}`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from >= 0 && to > from) return doc.slice(0, from) + block + doc.slice(to + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length ? wanted : Object.keys(BENCHES);
  const path = join(ROOT, 'BENCHMARKS.md');
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  for (const name of names) {
    const bench = BENCHES[name];
    if (!bench)
      throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
    process.stdout.write(`running ${name}…\n`);
    const table = await bench.run();
    const header = [
      `Command: \`npm run bench -- ${name}\`${quick ? ' (BENCH_QUICK=true)' : ''}; measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      `on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
      '',
    ].join('\n');
    doc = replaceSection(doc, name, `${header}\n${table}`);
    process.stdout.write(`${table}\n`);
  }
  writeFileSync(path, doc);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
