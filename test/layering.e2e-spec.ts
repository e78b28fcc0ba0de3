import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The layering rules of eslint.config.mjs (SQL only in libs/persistence, the time only from
 * Clock) are tried on probe files written where the rules apply: each probe that breaks a rule
 * must be reported with that rule's message, and each that keeps to the rules must lint clean.
 * `npm run check` then holds the real tree to the same rules.
 */
const ROOT = join(__dirname, '..');
const RUN = `lint-probe-${process.pid}`;

interface Probe {
  file: string;
  source: string;
  /** The messages expected, in order of position; none for a probe that keeps to the rules. */
  expected: RegExp[];
}

const SQL = /SQL and TypeORM stay in libs\/persistence/;
const CLOCK = /Read the time from the injected Clock/;

const PROBES: Probe[] = [
  {
    file: `apps/api/src/${RUN}/service.ts`,
    source: [
      "import { DataSource } from 'typeorm';",
      "import type { EntityManager } from 'typeorm';",
      'export async function probe(ds: DataSource, m: EntityManager): Promise<unknown> {',
      "  await m.query('SELECT 1');",
      '  void ds.createQueryBuilder();',
      '  return ds.manager;',
      '}',
      '',
    ].join('\n'),
    expected: [SQL, SQL, SQL, SQL],
  },
  {
    file: `apps/worker/src/${RUN}/job.ts`,
    source: 'export const probe = (): number => Date.now() - new Date().getTime();\n',
    expected: [CLOCK, CLOCK],
  },
  {
    file: `libs/records/src/${RUN}/rule.ts`,
    source: "export const probe = (): Date => new Date('2026-01-01T00:00:00Z');\n",
    expected: [],
  },
  {
    file: `libs/persistence/src/${RUN}/repo.ts`,
    source: [
      "import type { EntityManager } from 'typeorm';",
      'export async function probe(m: EntityManager): Promise<number> {',
      "  await m.query('SELECT 1');",
      '  return Date.now();',
      '}',
      '',
    ].join('\n'),
    expected: [/Take the time as a parameter from Clock/],
  },
  {
    file: `libs/domain/src/${RUN}/rule.ts`,
    source: 'export const probe = (): Date => new Date();\n',
    expected: [/libs\/domain never reads the clock/],
  },
];

interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; message: string; line: number; column: number }[];
}

function eslint(files: string[]): Promise<LintResult[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        join(ROOT, 'node_modules/eslint/bin/eslint.js'),
        '--format',
        'json',
        '--no-warn-ignored',
        ...files,
      ],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        // Exit code 1 means "problems found", which is what most probes are for.
        if (err && err.code !== 1) return reject(new Error(`eslint failed: ${stderr}`));
        resolve(JSON.parse(stdout) as LintResult[]);
      },
    );
  });
}

describe('layering rules (eslint.config.mjs)', () => {
  const dirs = [...new Set(PROBES.map((p) => join(ROOT, p.file, '..')))];
  let results: Map<string, LintResult>;

  beforeAll(async () => {
    for (const p of PROBES) {
      mkdirSync(join(ROOT, p.file, '..'), { recursive: true });
      writeFileSync(join(ROOT, p.file), p.source);
    }
    try {
      const out = await eslint(PROBES.map((p) => p.file));
      results = new Map(out.map((r) => [relative(ROOT, r.filePath), r]));
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  }, 120_000);

  it.each(PROBES.map((p) => [p.file.replace(`${RUN}/`, ''), p] as const))('%s', (_name, probe) => {
    const messages = results
      .get(probe.file)!
      .messages.filter((m) => m.ruleId !== null)
      .sort((a, b) => a.line - b.line || a.column - b.column);
    expect(messages).toHaveLength(probe.expected.length);
    messages.forEach((m, i) => expect(m.message).toMatch(probe.expected[i]));
  });
});
