// `npm run demo`: a guided tour of a running Sciatrack (API and worker, started with `npm start`).
//
// It sets up a clinic through the public API, plays two weeks of three synthetic patients
// (one improving, one getting worse, one who stops exercising), and shows what the service
// concluded: the findings of each write, adherence, progression flags, alerts, and the signed
// webhooks a local receiver got. Everything goes through HTTP, as a client app would do it:
// with the typed client of packages/client, generated from the API's OpenAPI document.
//
//   SCIATRACK_URL  base URL of the API (default http://127.0.0.1:${PORT || 3000})
//   ADMIN_TOKEN    the operator token (default: the development token of libs/config)
//   --cleanup      at the end, erase the run's patients and revoke its keys (see
//                  cleanUp: its keys are revoked, so nothing of it can be read any more)
//
// It prints the clinic's admin key, to explore the clinic afterwards (without --cleanup).
// The service must run with WEBHOOK_ALLOW_PRIVATE_URLS=true: the receiver listens on loopback.
import {
  addDays,
  localDateOf,
  offsetMinutes,
  zonedWallTimeToInstant,
  type AlertEventBody,
} from '@app/domain';
import {
  createSciatrackClient,
  importActivity,
  type SciatrackClient,
  type Schemas,
} from '@sciatrack/client';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeWithings } from './fakes/providers';
import { Webhook } from 'standardwebhooks';

// The development default of libs/config: a demo against a production service passes its own.
const DEV_ADMIN_TOKEN = 'dev-operator-token-change-me';
const BASE_URL = (
  process.env.SCIATRACK_URL ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}`
).replace(/\/+$/, '');
const OPERATOR_TOKEN = process.env.ADMIN_TOKEN ?? DEV_ADMIN_TOKEN;
const CLEANUP = process.argv.slice(2).includes('--cleanup');

const STORY_DAYS = 14;
const WALKING_GOAL_STEPS = 5000;
const PRESS_UP_HOLD_SECONDS = 10;
const WEBHOOK_WAIT_MS = 20_000;
// The worker picks up changed records every 10 s; give it two rounds and some slack.
const FLAGS_WAIT_MS = 30_000;
const IMPORT_WAIT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Shapes of the API, from its OpenAPI document (packages/client)

type Problem = Schemas['ProblemDto'];
type Pain = Schemas['PainDto'];
type PainSite = Pain['mostDistalSite'];
type PainSide = NonNullable<Pain['side']>;
type PainContext = Schemas['CreatePainReportDto']['context'];
type RedFlags = Schemas['RedFlagsDto'];
type Finding = Schemas['FindingDto'];
type ProgressionFlag = Schemas['ProgressionFlagDto'];
type Alert = Schemas['AlertDto'];
type WorklistReason = Schemas['WorklistEntryDto']['reasons'][number];

/** What a session or a pain report answers that the demo shows: findings and program state. */
type WriteAnswer = Pick<Schemas['SessionResultDto'], 'findings' | 'program'>;

// ---------------------------------------------------------------------------------------------
// HTTP

class ApiError extends Error {
  constructor(
    readonly what: string,
    readonly status: number,
    readonly problem: Partial<Problem> | null,
  ) {
    const detail = problem
      ? [
          problem.title,
          problem.detail,
          ...(problem.errors ?? []).map((e) => `${e.field}: ${e.message}`),
        ]
          .filter((part, i, all) => part && all.indexOf(part) === i)
          .join(' — ')
      : 'no problem details in the answer';
    super(`${what} answered ${status}: ${detail}`);
  }
}

function problemOf(error: unknown): Partial<Problem> | null {
  if (typeof error === 'object' && error !== null) return error;
  return typeof error === 'string' && error ? { detail: error.slice(0, 300) } : null;
}

/**
 * The data of one call of the client; any status but the expected ones stops the demo with
 * its problem details.
 */
async function ok<R extends { data?: unknown; error?: unknown; response: Response }>(
  what: string,
  call: Promise<R>,
  expected: readonly number[] = [200, 201],
): Promise<NonNullable<R['data']>> {
  const { data, error, response } = await call;
  if (!expected.includes(response.status)) {
    throw new ApiError(what, response.status, problemOf(error));
  }
  return data as NonNullable<R['data']>;
}

/** Follows `nextCursor` to the end of a list. */
async function everyPage<T>(
  page: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const answer = await page(cursor);
    all.push(...answer.data);
    cursor = answer.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` gives a value or the time is up (then null: the caller decides). */
async function poll<T>(check: () => Promise<T | null>, timeoutMs: number, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() >= deadline) return null;
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Webhook receiver

interface ReceivedWebhook {
  webhookId: string;
  event: AlertEventBody | null;
  verified: boolean;
  problem: string | null;
}

interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** The endpoint's secret, known once the endpoint exists. */
  secret: string | null;
  close(): Promise<void>;
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  return headers;
}

function isAlertEvent(value: unknown): value is AlertEventBody {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Partial<AlertEventBody>;
  return typeof event.type === 'string' && typeof event.data?.alertId === 'string';
}

/** Checks the signature against the raw bytes, as a real receiver must, before trusting the body. */
function verifyDelivery(receiver: Receiver, body: string, headers: Record<string, string>) {
  const webhookId = headers['webhook-id'] ?? '(no webhook-id)';
  if (!receiver.secret)
    return { webhookId, event: null, verified: false, problem: 'no secret yet' };
  try {
    const payload = new Webhook(receiver.secret).verify(body, headers);
    return isAlertEvent(payload)
      ? { webhookId, event: payload, verified: true, problem: null }
      : { webhookId, event: null, verified: true, problem: 'not an alert event' };
  } catch (err) {
    return {
      webhookId,
      event: null,
      verified: false,
      problem: err instanceof Error ? err.message : String(err),
    };
  }
}

async function startReceiver(): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const delivery = verifyDelivery(
        receiver,
        Buffer.concat(chunks).toString('utf8'),
        headersOf(req),
      );
      received.push(delivery);
      // A refused signature makes the service retry, which is what a real receiver wants.
      res.writeHead(delivery.verified ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks/sciatrack`,
    received,
    secret: null,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

// ---------------------------------------------------------------------------------------------
// Time: every record carries the patient's local wall time with its offset

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

/** An instant written as the patient's wall time with its offset (2026-03-02T08:00:00-05:00). */
function withOffset(instant: Date, timeZone: string): string {
  const offset = offsetMinutes(instant, timeZone);
  const wall = new Date(instant.getTime() + offset * 60_000).toISOString().slice(0, 19);
  const abs = Math.abs(offset);
  return `${wall}${offset < 0 ? '-' : '+'}${twoDigits(Math.floor(abs / 60))}:${twoDigits(abs % 60)}`;
}

function wallTime(date: string, time: string, timeZone: string): Date {
  const instant = zonedWallTimeToInstant(`${date}T${time}`, timeZone);
  if (!instant) throw new Error(`not a wall time: ${date} ${time}`);
  return instant;
}

function shortDate(date: string): string {
  const d = new Date(`${date}T12:00:00Z`);
  return d.toLocaleDateString('en-GB', {
    weekday: 'short',
    day: '2-digit',
    month: 'short',
    timeZone: 'UTC',
  });
}

// ---------------------------------------------------------------------------------------------
// The story

interface StoryDay {
  /** Press-up rounds logged that day, two hours apart from 08:00 (6 are prescribed). */
  rounds: number;
  /** Pain given with one round of the day (the first unless `round` says otherwise). */
  pain?: { before: Pain; after: Pain; round?: number };
  /** Steps the watch counted that day. */
  steps: number;
}

interface StoryReport {
  /** A day of the story (0: the program's first day) at a wall time, or minutes before now. */
  at: { day: number; time: string } | { minutesAgo: number };
  context: PainContext;
  pain: Pain;
  redFlags?: RedFlags;
}

interface PatientStory {
  label: string;
  timezone: string;
  headline: string;
  baselinePain?: Pain;
  days: StoryDay[];
  reports: StoryReport[];
}

interface DemoPatient {
  story: PatientStory;
  ref: string;
  id: string;
  today: string;
  startDate: string;
}

/** A small deterministic wobble, so the figures look lived-in and every run tells the same story. */
function wobble(day: number, spread: number): number {
  return Math.round(Math.sin(day * 2.3 + 1) * spread);
}

function improvingStory(): PatientStory {
  // Leg pain works its way back to the low back: thigh, then buttock, then low back only.
  const site = (day: number): PainSite => (day < 3 ? 'thigh' : day < 7 ? 'buttock' : 'low_back');
  const side = (s: PainSite): PainSide | undefined => (s === 'low_back' ? undefined : 'left');
  const days = Array.from({ length: STORY_DAYS }, (_, day): StoryDay => {
    const before = Math.max(2, 7 - Math.floor(day / 2));
    const from = site(day);
    // On the days the pain moves, it moves during the session: that is centralization.
    const to = site(day + 1 < STORY_DAYS ? day + 1 : day);
    return {
      rounds: day % 4 === 1 ? 5 : 6,
      pain: {
        before: { intensity: before, mostDistalSite: from, side: side(from) },
        after: { intensity: before - 1, mostDistalSite: to, side: side(to) },
      },
      steps: 6200 + day * 80 + wobble(day, 700),
    };
  });
  return {
    label: 'A',
    timezone: 'America/New_York',
    headline: 'improves: leg pain centralizes, exercises done, walking goal met',
    days,
    reports: [
      {
        at: { day: 0, time: '07:30' },
        context: 'baseline',
        pain: { intensity: 7, mostDistalSite: 'thigh', side: 'left' },
      },
    ],
  };
}

function worseningStory(): PatientStory {
  const steady = (day: number): StoryDay => ({
    rounds: day % 3 === 2 ? 4 : 5,
    pain: {
      before: { intensity: 4, mostDistalSite: 'low_back' },
      after: { intensity: day % 2 ? 3 : 4, mostDistalSite: 'low_back' },
    },
    steps: 4900 + wobble(day, 600),
  });
  const days = Array.from({ length: STORY_DAYS - 2 }, (_, day) => steady(day));
  // Two days before today the pain spreads into the thigh during the third round.
  days.push({
    rounds: 3,
    pain: {
      round: 2,
      before: { intensity: 4, mostDistalSite: 'low_back' },
      after: { intensity: 5, mostDistalSite: 'thigh', side: 'right' },
    },
    steps: 3100,
  });
  // The app said to pause: no exercise yesterday.
  days.push({ rounds: 0, steps: 1600 });
  return {
    label: 'B',
    timezone: 'Europe/London',
    headline: 'gets worse: pain spreads down the leg, then systemic red flags',
    baselinePain: { intensity: 4, mostDistalSite: 'low_back' },
    days,
    reports: [
      {
        at: { day: STORY_DAYS - 1, time: '09:00' },
        context: 'next_day',
        pain: { intensity: 6, mostDistalSite: 'calf', side: 'right' },
      },
      {
        at: { minutesAgo: 60 },
        context: 'baseline',
        pain: { intensity: 6, mostDistalSite: 'calf', side: 'right' },
        redFlags: { weightLoss: true },
      },
      {
        at: { minutesAgo: 30 },
        context: 'baseline',
        pain: { intensity: 6, mostDistalSite: 'calf', side: 'right' },
        redFlags: { fever: true },
      },
    ],
  };
}

function restGapStory(): PatientStory {
  const gapFrom = STORY_DAYS - 4;
  const days = Array.from({ length: STORY_DAYS }, (_, day): StoryDay =>
    day < gapFrom
      ? {
          rounds: [4, 5, 4, 3][day % 4],
          pain: {
            before: { intensity: 3, mostDistalSite: 'low_back' },
            after: { intensity: 3, mostDistalSite: 'low_back' },
          },
          steps: 5300 + wobble(day, 800),
        }
      : // Stops exercising and barely walks, but still wears the watch: a rest, not missing data.
        { rounds: 0, steps: 1100 + wobble(day, 250) },
  );
  return {
    label: 'C',
    timezone: 'Asia/Kolkata',
    headline: 'stops exercising for the last four days (still wears the watch)',
    days,
    reports: [
      {
        at: { day: STORY_DAYS - 2, time: '20:00' },
        context: 'baseline',
        pain: { intensity: 3, mostDistalSite: 'low_back' },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Output

function heading(title: string): void {
  process.stdout.write(`\n== ${title} ${'='.repeat(Math.max(3, 88 - title.length))}\n`);
}

function line(text = ''): void {
  process.stdout.write(`${text}\n`);
}

function percent(value: number | null): string {
  return value === null ? '   —' : `${String(Math.round(value * 100)).padStart(3)} %`;
}

function painText(p: Pain): string {
  return `${p.intensity}/10 ${p.mostDistalSite}${p.side ? ` (${p.side})` : ''}`;
}

/** What one or more writes concluded: their findings, and the program's state when it changed. */
interface Outcome {
  findings: Finding[];
  programChange: string | null;
}

function conclusion(outcomes: readonly Outcome[]): string {
  const parts = [
    ...new Set(
      outcomes.flatMap((o) => [
        ...o.findings.map((f) => `${f.rule} (${f.severity})`),
        ...(o.programChange ? [o.programChange] : []),
      ]),
    ),
  ];
  return parts.length ? `→ ${parts.join(', ')}` : '→ no findings';
}

// ---------------------------------------------------------------------------------------------
// Setup

/** The clinic the run made, and a client for each of its keys. */
interface Clinic {
  name: string;
  adminKey: string;
  adminKeyId: string;
  /** The organization's admin (sets up the clinic, prescribes). */
  admin: SciatrackClient;
  /** The patient app (sessions, pain reports, wearable data). */
  app: SciatrackClient;
  /** The clinician (progress, alerts, care time). */
  clinician: SciatrackClient;
  /** Its key, for the FHIR API. */
  clinicianKey: string;
  clinicianId: string;
  clientAppId: string;
  endpointId: string | null;
}

async function setUpClinic(runId: string, receiver: Receiver): Promise<Clinic> {
  heading('Setting up a clinic through the API');
  const operator = createSciatrackClient(BASE_URL, OPERATOR_TOKEN);
  const name = `Demo clinic ${runId}`;
  const org = await ok(
    'creating the organization',
    operator.POST('/v1/admin/organizations', { body: { name } }),
  );
  const admin = createSciatrackClient(BASE_URL, org.adminKey);
  line(`  organization       ${name}  ${org.id}`);
  line(`  admin key          ${org.adminKey}  (shown once: explore the clinic with it)`);
  const clinician = await ok(
    'creating the clinician',
    admin.POST('/v1/clinicians', {
      body: { name: 'Demo Clinician', email: `clinician-${runId}@demo.example` },
    }),
  );
  const app = await ok(
    'creating the client app',
    admin.POST('/v1/client-apps', { body: { name: 'Demo patient app' } }),
  );
  const appKey = await ok(
    'issuing the app key',
    admin.POST('/v1/api-keys', {
      body: { name: 'Demo app key', role: 'app', clientAppId: app.id },
    }),
  );
  const clinicianKey = await ok(
    'issuing the clinician key',
    admin.POST('/v1/api-keys', {
      body: { name: 'Demo clinician key', role: 'clinician', clinicianId: clinician.id },
    }),
  );
  line(`  clinician          ${clinician.id}  key ${clinicianKey.prefix}…`);
  line(`  client app         ${app.id}  key ${appKey.prefix}…`);
  const clinic: Clinic = {
    name,
    adminKey: org.adminKey,
    adminKeyId: org.adminKeyId,
    admin,
    app: createSciatrackClient(BASE_URL, appKey.key),
    clinician: createSciatrackClient(BASE_URL, clinicianKey.key),
    clinicianKey: clinicianKey.key,
    clinicianId: clinician.id,
    clientAppId: app.id,
    endpointId: null,
  };

  const endpoint = await createEndpoint(admin, receiver.url, clinician.id);
  receiver.secret = endpoint.secret;
  clinic.endpointId = endpoint.id;
  line(`  webhook endpoint   ${receiver.url}  (alert.created, alert.escalated)`);
  return clinic;
}

class PrivateUrlRefused extends Error {}

async function createEndpoint(admin: SciatrackClient, url: string, clinicianId: string) {
  try {
    return await ok(
      'creating the webhook endpoint',
      admin.POST('/v1/webhook-endpoints', {
        body: { url, events: ['alert.created', 'alert.escalated'], clinicianId },
      }),
    );
  } catch (err) {
    // The service refuses loopback receivers unless told otherwise: say how, not just "422".
    if (err instanceof ApiError && err.status === 422 && /private|loopback/i.test(err.message)) {
      throw new PrivateUrlRefused(
        'The service refused the local webhook receiver (a loopback address).\n' +
          'Start it with `npm run start:demo` (npm start with WEBHOOK_ALLOW_PRIVATE_URLS=true and\n' +
          'Withings pointed at the fake the demo starts), or at least:\n' +
          '  WEBHOOK_ALLOW_PRIVATE_URLS=true npm start',
      );
    }
    throw err;
  }
}

async function enrollPatient(clinic: Clinic, runId: string, story: PatientStory) {
  const ref = `DEMO-${runId}-${story.label}`;
  const patient = await ok(
    `creating patient ${story.label}`,
    clinic.admin.POST('/v1/patients', {
      body: {
        externalRef: ref,
        timezone: story.timezone,
        clinicianId: clinic.clinicianId,
        ...(story.baselinePain ? { baselinePain: story.baselinePain } : {}),
      },
    }),
  );
  const params = { path: { id: patient.id } };
  await ok(
    `enrolling patient ${story.label}`,
    clinic.admin.POST('/v1/patients/{id}/enrollments', {
      params,
      body: { clientAppId: clinic.clientAppId },
    }),
  );
  const today = localDateOf(new Date(), story.timezone);
  const startDate = addDays(today, -STORY_DAYS);
  await ok(
    `prescribing patient ${story.label}'s program`,
    clinic.admin.POST('/v1/patients/{id}/programs', {
      params,
      body: {
        startDate,
        items: [
          {
            exerciseCode: 'prone_press_up',
            reps: 10,
            holdSeconds: PRESS_UP_HOLD_SECONDS,
            holdGoalSeconds: 30,
            timesPerDay: 6,
          },
          { exerciseCode: 'standing_extension', reps: 6, holdSeconds: 3, timesPerDay: 3 },
        ],
        walkingGoal: { dailySteps: WALKING_GOAL_STEPS },
      },
    }),
  );
  const demo: DemoPatient = { story, ref, id: patient.id, today, startDate };
  line(
    `  patient ${story.label}  ${ref.padEnd(24)} ${story.timezone.padEnd(17)} program from ${startDate}` +
      (story.baselinePain ? `, baseline ${painText(story.baselinePain)}` : ''),
  );
  return demo;
}

// ---------------------------------------------------------------------------------------------
// Playing the story

interface Write {
  at: Date;
  /** The story day, or null for the reports of today. */
  day: number | null;
  /** Null for a session; what the report says otherwise. */
  report: string | null;
  send: () => Promise<WriteAnswer>;
}

interface ReportLine {
  time: string;
  report: string;
  outcome: Outcome;
}

function sessionWrites(clinic: Clinic, p: DemoPatient): Write[] {
  const writes: Write[] = [];
  p.story.days.forEach((plan, day) => {
    const date = addDays(p.startDate, day);
    for (let round = 0; round < plan.rounds; round++) {
      const at = wallTime(date, `${twoDigits(8 + 2 * round)}:00`, p.story.timezone);
      const withPain = plan.pain && (plan.pain.round ?? 0) === round ? plan.pain : null;
      // The hold grows once the pain settles: the evidence HOLD_PROGRESSION_READY looks for.
      const hold = PRESS_UP_HOLD_SECONDS + (day >= 7 ? 2 : 0);
      const body: Schemas['CreateSessionDto'] = {
        clientRef: `${p.ref}-session-${date}-${round + 1}`,
        performedAt: withOffset(at, p.story.timezone),
        durationMinutes: 10,
        items: [
          { exerciseCode: 'prone_press_up', reps: 10, holdSeconds: hold },
          ...(round % 2 === 0
            ? [{ exerciseCode: 'standing_extension', reps: 6, holdSeconds: 3 }]
            : []),
        ],
        ...(withPain ? { painBefore: withPain.before, painAfter: withPain.after } : {}),
      };
      writes.push({
        at,
        day,
        report: null,
        send: () =>
          ok(
            `logging patient ${p.story.label}'s session`,
            clinic.app.POST('/v1/patients/{id}/sessions', { params: { path: { id: p.id } }, body }),
            [201],
          ),
      });
    }
  });
  return writes;
}

function reportWrites(clinic: Clinic, p: DemoPatient): Write[] {
  return p.story.reports.map((report, i) => {
    const at =
      'minutesAgo' in report.at
        ? new Date(Date.now() - report.at.minutesAgo * 60_000)
        : wallTime(addDays(p.startDate, report.at.day), report.at.time, p.story.timezone);
    const flags = Object.keys(report.redFlags ?? {}).join(', ');
    const body: Schemas['CreatePainReportDto'] = {
      clientRef: `${p.ref}-report-${i + 1}`,
      reportedAt: withOffset(at, p.story.timezone),
      context: report.context,
      ...report.pain,
      ...(report.redFlags ? { redFlags: report.redFlags } : {}),
    };
    return {
      at,
      day: 'day' in report.at ? report.at.day : null,
      report:
        `${report.context} report ${painText(report.pain)}` + (flags ? `, red flag: ${flags}` : ''),
      send: () =>
        ok(
          `recording patient ${p.story.label}'s pain report`,
          clinic.app.POST('/v1/patients/{id}/pain-reports', {
            params: { path: { id: p.id } },
            body,
          }),
          [201],
        ),
    };
  });
}

/** Posts the patient's records in time order (the rules compare each report with the one before). */
async function playStory(clinic: Clinic, p: DemoPatient): Promise<void> {
  const tz = p.story.timezone;
  line(`\n  Patient ${p.story.label} (${tz}) ${p.story.headline}`);
  const writes = [...sessionWrites(clinic, p), ...reportWrites(clinic, p)].sort(
    (a, b) => a.at.getTime() - b.at.getTime(),
  );
  const sessions = new Map<number, Outcome[]>();
  const reports = new Map<number | null, ReportLine[]>();
  let programStatus = 'active';
  for (const write of writes) {
    const answer = await write.send();
    // Say when the rules changed the program, not on every later write that finds it so.
    const status = answer.program?.status ?? programStatus;
    const outcome: Outcome = {
      findings: answer.findings,
      programChange:
        status === programStatus
          ? null
          : `program ${status}${answer.program?.statusReason ? ` (${answer.program.statusReason})` : ''}`,
    };
    programStatus = status;
    if (write.report === null && write.day !== null) {
      sessions.set(write.day, [...(sessions.get(write.day) ?? []), outcome]);
    } else {
      const time = withOffset(write.at, tz).slice(11, 16);
      const entry = { time, report: write.report ?? 'session', outcome };
      reports.set(write.day, [...(reports.get(write.day) ?? []), entry]);
    }
  }
  const reportLines = (label: string, entries: readonly ReportLine[]) => {
    for (const [i, entry] of entries.entries()) {
      line(
        `    ${(i === 0 ? label : '').padEnd(10)}  ${`${entry.time} ${entry.report}`.padEnd(40)} ` +
          conclusion([entry.outcome]),
      );
    }
  };
  p.story.days.forEach((plan, day) => {
    const pain = plan.pain
      ? `pain ${String(plan.pain.before.intensity).padStart(2)}→${String(plan.pain.after.intensity).padEnd(2)} ${siteMove(plan.pain.before, plan.pain.after)}`
      : 'no session';
    const date = shortDate(addDays(p.startDate, day));
    const outcome = plan.rounds ? ` ${conclusion(sessions.get(day) ?? [])}` : '';
    line(`    ${date}  rounds ${plan.rounds}/6  ${plan.rounds ? pain.padEnd(28) : pain}${outcome}`);
    reportLines('', reports.get(day) ?? []);
  });
  reportLines('today', reports.get(null) ?? []);
  await importSteps(clinic, p);
}

function siteMove(before: Pain, after: Pain): string {
  return before.mostDistalSite === after.mostDistalSite
    ? before.mostDistalSite
    : `${before.mostDistalSite}→${after.mostDistalSite}`;
}

/** The watch's steps for the two weeks, three walks a day, as one native import. */
async function importSteps(clinic: Clinic, p: DemoPatient): Promise<void> {
  const walks = [
    { start: '09:00', end: '09:30', share: 0.3 },
    { start: '13:00', end: '13:40', share: 0.3 },
    { start: '17:30', end: '18:30', share: 0.4 },
  ];
  const samples = p.story.days.flatMap((plan, day) => {
    const date = addDays(p.startDate, day);
    return walks.map((walk) => ({
      start: withOffset(wallTime(date, walk.start, p.story.timezone), p.story.timezone),
      end: withOffset(wallTime(date, walk.end, p.story.timezone), p.story.timezone),
      steps: Math.round(plan.steps * walk.share),
    }));
  });
  const started = Date.now();
  const accepted = await ok(
    `importing patient ${p.story.label}'s steps`,
    importActivity(clinic.app, p.id, 'native', {
      source: { name: 'demo-watch', device: 'Synthetic Watch 2' },
      samples,
    }),
    [202],
  );
  const done = await poll(async () => {
    const status = await ok(
      'reading the import',
      clinic.app.GET('/v1/activity-imports/{id}', { params: { path: { id: accepted.id } } }),
    );
    return status.status === 'completed' || status.status === 'failed' ? status : null;
  }, IMPORT_WAIT_MS);
  if (!done)
    throw new Error(
      `activity import ${accepted.id} not finished within ${IMPORT_WAIT_MS / 1000} s: is the worker running?`,
    );
  if (done.status === 'failed') {
    throw new Error(
      `activity import ${accepted.id} failed: ${done.failureReason ?? 'no reason given'}`,
    );
  }
  line(
    `    wearable import (202 → ${done.status} in ${((Date.now() - started) / 1000).toFixed(1)} s): ` +
      `${done.received} samples received, ${done.inserted} stored, ` +
      `${done.duplicates} duplicates, ${done.rejected} rejected`,
  );
}

// ---------------------------------------------------------------------------------------------
// Results

async function showAdherence(clinic: Clinic, patients: readonly DemoPatient[]): Promise<void> {
  // Closed days only: today has barely begun in some of the zones.
  heading('Adherence per Monday week, up to yesterday (clinician key)');
  line('  patient  week of          days  rounds    exercise  walking  active days');
  for (const p of patients) {
    const adherence = await ok(
      `reading patient ${p.story.label}'s adherence`,
      clinic.clinician.GET('/v1/patients/{id}/adherence', {
        params: { path: { id: p.id }, query: { from: p.startDate, to: addDays(p.today, -1) } },
      }),
    );
    for (const week of adherence.weeks) {
      line(
        `  ${p.story.label.padEnd(8)} ${shortDate(week.weekStart).padEnd(16)} ${String(week.daysCounted).padStart(4)}` +
          `  ${`${week.completedSessions}/${week.prescribedSessions}`.padStart(7)}  ` +
          `  ${percent(week.exerciseAdherence).padStart(7)}  ${percent(week.walkingAdherence).padStart(7)}` +
          `  ${String(week.activeDays).padStart(6)}/${week.daysCounted}`,
      );
    }
  }
}

/** What a flag suggests, in a few words, from its evidence. */
function flagText(flag: ProgressionFlag): string {
  const e = flag.evidence;
  const n = (key: string) =>
    typeof e[key] === 'number' || typeof e[key] === 'string' ? String(e[key]) : '?';
  switch (flag.flag) {
    case 'REST_GAP_EXCEEDED':
      return `${n('inactiveDays')} days without exercise or enough walking (limit ${n('restGapDays')})`;
    case 'HOLD_PROGRESSION_READY':
      return `${n('exerciseCode')}: hold ${n('holdSeconds')} s done reliably, try ${n('suggestedHoldSeconds')} s`;
    case 'REPS_PROGRESSION_READY':
      return `${n('exerciseCode')}: try ${n('suggestedReps')} repetitions`;
    case 'READY_FOR_STRENGTHENING':
      return 'pain stays in the low back: add the strengthening set';
    case 'WALKING_GOAL_PROGRESSION':
      return `goal met ${n('daysMet')} of ${n('windowDays')} days: raise it to ${n('suggestedGoalSteps')} steps`;
    case 'LOW_ACTIVITY':
      return `${n('lowDays')} days under ${n('thresholdSteps')} steps (own baseline ${n('baselineSteps')})`;
    case 'PROGRAM_DOSE_MET':
      return `${n('exerciseCode')} done at the weekly dose long enough`;
    case 'DATA_GAP':
      return `${n('daysWithoutData')} days without any data`;
  }
}

async function showFlags(
  clinic: Clinic,
  patients: readonly DemoPatient[],
  storyEnd: Date,
): Promise<void> {
  heading('Progression flags (worker, incremental run)');
  for (const p of patients) {
    const read = () =>
      ok(
        `reading patient ${p.story.label}'s flags`,
        clinic.clinician.GET('/v1/patients/{id}/flags', { params: { path: { id: p.id } } }),
      );
    // The flags come from the worker's next pass over changed patients: wait for one after our writes.
    const flags =
      (await poll(
        async () => {
          const answer = await read();
          return answer.computedAt && new Date(answer.computedAt) >= storyEnd ? answer : null;
        },
        FLAGS_WAIT_MS,
        1000,
      )) ?? (await read());
    if (!flags.computedAt) {
      line(
        `  ${p.story.label}  not computed yet (the worker evaluates changed patients every 10 s)`,
      );
      continue;
    }
    if (flags.data.length === 0) line(`  ${p.story.label}  no flags (as of ${flags.asOf ?? '?'})`);
    for (const flag of flags.data) {
      line(`  ${p.story.label}  ${flag.flag.padEnd(25)} since ${flag.since}  ${flagText(flag)}`);
    }
  }
}

async function listAlerts(clinic: Clinic): Promise<Alert[]> {
  const page = await ok(
    'listing the alerts',
    clinic.clinician.GET('/v1/alerts', { params: { query: { limit: 100 } } }),
  );
  return page.data;
}

async function showAlertsAndWebhooks(
  clinic: Clinic,
  patients: readonly DemoPatient[],
  receiver: Receiver,
): Promise<Alert[]> {
  const labelOf = (patientId: string) =>
    patients.find((p) => p.id === patientId)?.story.label ?? '?';
  const alerts = await listAlerts(clinic);
  // One webhook per alert opened, plus one per escalation.
  const expected = alerts.reduce((sum, a) => sum + 1 + a.escalationCount, 0);
  heading('Alerts (clinician key)');
  for (const a of alerts) {
    line(
      `  ${labelOf(a.patientId)}  ${a.rule.padEnd(20)} ${a.severity.padEnd(8)} ${a.status.padEnd(13)}` +
        `findings ${a.findingCount}  escalations ${a.escalationCount}`,
    );
  }
  if (alerts.length === 0) line('  none');

  heading('Webhooks received by the local receiver');
  await poll(
    () => Promise.resolve(receiver.received.length >= expected ? true : null),
    WEBHOOK_WAIT_MS,
  );
  for (const w of receiver.received) {
    const e = w.event;
    const what = e
      ? `${e.type.padEnd(16)} ${labelOf(e.data.patientId)}  ${e.data.rule.padEnd(20)} ${e.data.severity.padEnd(8)}`
      : '(unreadable)'.padEnd(58);
    line(
      `  ${what} ${w.webhookId.padEnd(40)} ${w.verified ? 'signature verified ✓' : `NOT verified: ${w.problem ?? ''}`}`,
    );
  }
  const bad = receiver.received.filter((w) => !w.verified || !w.event);
  if (bad.length) throw new Error(`${bad.length} webhook(s) failed signature verification`);
  if (receiver.received.length < expected) {
    throw new Error(
      `expected ${expected} webhook(s), received ${receiver.received.length} within ` +
        `${WEBHOOK_WAIT_MS / 1000} s: is the worker running?`,
    );
  }
  line(`  ${receiver.received.length} of ${expected} expected webhooks received`);
  return alerts;
}

/** A clinician's review: seen, then closed; the next such finding would open a fresh alert. */
async function showLifecycle(clinic: Clinic, alerts: readonly Alert[]): Promise<void> {
  const alert = alerts.find((a) => a.rule === 'NEW_LEG_PAIN') ?? alerts[0];
  if (!alert) return;
  heading('Alert lifecycle');
  const params = { path: { id: alert.id } };
  const acknowledged = await ok(
    'acknowledging the alert',
    clinic.clinician.POST('/v1/alerts/{id}/acknowledge', { params }),
  );
  const resolved = await ok(
    'resolving the alert',
    clinic.clinician.POST('/v1/alerts/{id}/resolve', { params }),
  );
  line(`  ${alert.rule}: ${alert.status} → ${acknowledged.status} → ${resolved.status}`);
}

// ---------------------------------------------------------------------------------------------
// Outcome questionnaires

interface Screening {
  /** STarT Back items 1–8, agreed or not, and item 9. */
  agree: boolean[];
  bothersomeness: string;
  /** PSFS activities at the start and today (none: no PSFS). */
  psfs?: { first: [string, number][]; now: [string, number][] };
}

// Per story: A screens at medium risk and its function improves; B screens at high risk and
// one activity gets worse; C screens at low risk.
const SCREENINGS: Record<string, Screening> = {
  A: {
    agree: [true, true, true, false, true, false, false, false],
    bothersomeness: 'slightly',
    psfs: {
      first: [
        ['Sitting through a work meeting', 3],
        ['Walking to the shop', 4],
      ],
      now: [
        ['Sitting through a work meeting', 6],
        ['Walking to the shop', 6],
      ],
    },
  },
  B: {
    agree: [true, true, false, false, true, true, true, false],
    bothersomeness: 'very_much',
    psfs: {
      first: [
        ['Bending to tie shoes', 5],
        ['Driving', 6],
      ],
      now: [
        ['Bending to tie shoes', 2],
        ['Driving', 6],
      ],
    },
  },
  C: {
    agree: [false, true, false, false, false, false, false, false],
    bothersomeness: 'slightly',
  },
};

/** One of a change's `meaningful` entries, which the document declares as open objects. */
interface MeaningfulChange {
  direction: string;
  by: string;
  activities?: { name: string }[];
}

async function showOutcomes(clinic: Clinic, patients: readonly DemoPatient[]): Promise<void> {
  heading('Outcome questionnaires (clinician key): STarT Back at the start, PSFS then and now');
  for (const p of patients) {
    const plan = SCREENINGS[p.story.label];
    if (!plan) continue;
    const tz = p.story.timezone;
    const atStart = withOffset(wallTime(p.startDate, '09:00', tz), tz);
    const params = { path: { id: p.id } };
    const record = (body: Schemas['CreateQuestionnaireDto']) =>
      ok(
        `recording patient ${p.story.label}'s ${body.instrument}`,
        clinic.clinician.POST('/v1/patients/{id}/questionnaires', { params, body }),
      );
    await record({
      instrument: 'startback',
      completedAt: atStart,
      answers: { agree: plan.agree, bothersomeness: plan.bothersomeness },
    });
    const patient = await ok(
      `reading patient ${p.story.label}`,
      clinic.clinician.GET('/v1/patients/{id}', { params }),
    );
    const sb = patient.startBack!;
    line(
      `  patient ${p.story.label}  STarT Back ${sb.total}/9, psychosocial ${sb.psychosocial}/5: ${sb.stratum} risk`,
    );
    if (!plan.psfs) continue;
    const psfs = (completedAt: string, activities: [string, number][]) =>
      record({
        instrument: 'psfs',
        completedAt,
        answers: { activities: activities.map(([name, score]) => ({ name, score })) },
      });
    const first = await psfs(atStart, plan.psfs.first);
    const now = await psfs(withOffset(new Date(Date.now() - 10 * 60_000), tz), plan.psfs.now);
    const change = now.change!;
    const changes = change.meaningful as unknown as MeaningfulChange[];
    const meaningful = changes.length
      ? changes
          .map(
            (m) =>
              `${m.direction} (${m.by === 'mean' ? 'mean ≥ 2 points' : `${m.activities!.map((a) => a.name).join(', ')} ≥ 3 points`})`,
          )
          .join(', ')
      : 'no meaningful change';
    const found = now.findings.map((f) => `${f.rule} (${f.severity})`).join(', ');
    line(
      `             PSFS mean ${String(first.score.mean)} → ${String(now.score.mean)} (${change.difference > 0 ? '+' : ''}${change.difference}): ${meaningful}${found ? ` → ${found}` : ''}`,
    );
  }
}

/** The fields of a worklist reason's `detail` that the demo shows (an open object, by kind). */
interface ReasonDetail {
  rule?: string;
  status?: string;
  days?: number;
  stratum?: string;
  text?: string;
}

function reasonText(r: WorklistReason): string {
  const d = r.detail as ReasonDetail;
  switch (r.kind) {
    case 'urgent_alert':
    case 'warning_alert':
      return `${r.kind === 'urgent_alert' ? 'urgent' : 'warning'} ${d.rule}`;
    case 'program_on_hold':
      return `program ${d.status}`;
    case 'no_review':
      return `no review for ${d.days} days`;
    case 'startback':
      return `STarT Back ${d.stratum}`;
    case 'rtm_at_risk':
      return `RTM: ${d.text}`;
    case 'data_gap':
      return `no data since ${r.since ?? '?'}`;
  }
}

// Remote monitoring: each patient enrolled in an RTM episode from their program's start, some
// clinician time logged this month; then the worklist the worker keeps, and one ledger.
async function showWorklist(clinic: Clinic, patients: readonly DemoPatient[]): Promise<void> {
  heading('Remote monitoring and the clinician worklist (clinician key)');
  for (const p of patients) {
    await ok(
      `starting patient ${p.story.label}'s monitoring episode`,
      clinic.clinician.POST('/v1/patients/{id}/rtm-episodes', {
        params: { path: { id: p.id } },
        body: { startDate: p.startDate },
      }),
    );
  }
  const [a, b] = patients;
  const care = (
    p: DemoPatient,
    minutes: number,
    kind: Schemas['CreateCareTimeDto']['kind'],
    interactive: boolean,
  ) =>
    ok(
      `logging care time for patient ${p.story.label}`,
      clinic.clinician.POST('/v1/patients/{id}/care-time', {
        params: { path: { id: p.id } },
        body: {
          startedAt: withOffset(new Date(Date.now() - 30 * 60_000), p.story.timezone),
          minutes,
          kind,
          interactive,
        },
      }),
    );
  await care(a, 12, 'call', true);
  await care(b, 5, 'data_review', false);
  // The server's time of the last change (its clock, as the worker's).
  const changedAt = Date.parse((await care(a, 10, 'data_review', false)).createdAt);
  line('  episodes started on each program start; care time: A a 12-minute call and a');
  line('  10-minute review, B a 5-minute review; waiting for the worker (its 10 s tick)');

  // The worker updates the entries within seconds of the changes (its 10 s tick).
  const ours = new Set(patients.map((p) => p.id));
  const page = await poll(async () => {
    const res = await ok(
      'reading the worklist',
      clinic.clinician.GET('/v1/worklist', { params: { query: { limit: 100 } } }),
    );
    const entries = res.data.filter((e) => ours.has(e.patientId));
    // A's entry changes with its last care time (an unchanged entry keeps its time); the
    // others were marked before it, so the batch that updated A after it updated them.
    const fresh = entries.some((e) => e.patientId === a.id && Date.parse(e.computedAt) > changedAt);
    return entries.length === patients.length && fresh ? entries : null;
  }, 45_000);
  if (!page) throw new Error('the worker did not update the worklist within 45 s: is it running?');
  line('\n  rank  patient  band        score  reasons');
  page.forEach((e, i) => {
    const label = patients.find((p) => p.id === e.patientId)!.story.label;
    const reasons = e.reasons.map(reasonText).join('; ') || '–';
    line(
      `  ${String(i + 1).padStart(4)}  ${label.padEnd(7)}  ${e.band.padEnd(10)}  ${String(e.score).padStart(5)}  ${reasons}`,
    );
  });

  const month = a.today.slice(0, 7);
  const ledger = await ok(
    `reading patient ${a.story.label}'s RTM ledger`,
    clinic.clinician.GET('/v1/patients/{id}/rtm', {
      params: { path: { id: a.id }, query: { month } },
    }),
  );
  line(`\n  patient ${a.story.label}'s RTM ledger for ${month}:`);
  for (const c of ledger.codes as unknown as LedgerCode[]) {
    if (c.code === null) continue;
    const period = c.period
      ? ` (period ${shortDate(c.period.from)}–${shortDate(c.period.to)})`
      : '';
    const state = c.met ? `met${c.units && c.units > 1 ? ` ×${c.units}` : ''}` : 'not met';
    const missing = c.missing.map((m) => `; ${m.code} ${m.text}`).join('');
    line(`    ${c.code}${period}  ${state}${missing}`);
  }
}

/** The fields of a ledger code that the demo shows (open objects in the document, docs/rtm.md). */
interface LedgerCode {
  code: string | null;
  met: boolean;
  units?: number;
  period?: { from: string; to: string };
  missing: { code: string; text: string }[];
}

/** A GET of the FHIR R4 API, which has its own CapabilityStatement, not the OpenAPI document. */
async function fhirGet<T>(path: string, key: string): Promise<T> {
  const res = await fetch(`${BASE_URL}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  if (res.status !== 200) throw new ApiError(`GET ${path}`, res.status, null);
  return (await res.json()) as T;
}

interface FhirBundle {
  entry?: { resource: { resourceType: string; id: string; [k: string]: unknown } }[];
  link: { relation: string; url: string }[];
}

/** One patient's record as FHIR R4: `$everything`, every page, summarized by resource type. */
async function showFhir(clinic: Clinic, p: DemoPatient): Promise<void> {
  heading(`Patient ${p.story.label} as FHIR R4: $everything (clinician key)`);
  const resources: { resourceType: string; id: string; [k: string]: unknown }[] = [];
  let path: string | null = `/fhir/R4/Patient/${p.id}/$everything?_count=200`;
  while (path) {
    const bundle: FhirBundle = await fhirGet<FhirBundle>(path, clinic.clinicianKey);
    resources.push(...(bundle.entry ?? []).map((e) => e.resource));
    const next = bundle.link.find((l) => l.relation === 'next')?.url;
    path = next ? new URL(next).pathname + new URL(next).search : null;
  }
  const byType = new Map<string, number>();
  for (const r of resources) byType.set(r.resourceType, (byType.get(r.resourceType) ?? 0) + 1);
  line(`  ${resources.length} resources: ${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')}`);
  const steps = resources.filter(
    (r) => r.resourceType === 'Observation' && String(r.id).startsWith('steps-'),
  ) as unknown as { effectivePeriod: { start: string }; valueQuantity: { value: number } }[];
  const last = steps[steps.length - 1];
  if (last) {
    line(
      `  latest daily steps (LOINC 41950-7, Physical Activity IG): ${last.valueQuantity.value} on the local day from ${last.effectivePeriod.start}`,
    );
  }
  const flags = resources.filter((r) => r.resourceType === 'Flag') as unknown as {
    code: { text?: string };
  }[];
  for (const f of flags) line(`  Flag: ${f.code.text ?? '(coded)'}`);
  line(`  the same key can export it all: GET /fhir/R4/Group/${clinic.clinicianId}/$export`);
}

/** Where `npm run start:demo` points the service's Withings client. */
const DEMO_WITHINGS_PORT = Number(process.env.DEMO_WITHINGS_PORT ?? 3999);

/**
 * A patient connects a Withings account: the demo plays Withings itself (a fake cloud on
 * localhost, as the e2e specs use), so the service must have been started with
 * `npm run start:demo`, which points its Withings client there. Otherwise the step is skipped.
 */
async function showConnection(clinic: Clinic, p: DemoPatient): Promise<void> {
  heading(
    `Patient ${p.story.label} connects a Withings account (app key; Withings played by the demo)`,
  );
  const res = await clinic.app.POST('/v1/patients/{id}/connections', {
    params: { path: { id: p.id } },
    body: { provider: 'withings' },
  });
  if (res.response.status === 422) {
    line(
      '  skipped: Withings is not configured on this service; start it with `npm run start:demo`',
    );
    return;
  }
  const created = await ok('connecting Withings', Promise.resolve(res), [201]);
  const withings = new FakeWithings();
  try {
    await withings.start(DEMO_WITHINGS_PORT);
  } catch {
    line(`  skipped: port ${DEMO_WITHINGS_PORT} is taken (DEMO_WITHINGS_PORT chooses another)`);
    return;
  }
  try {
    const user = String(100_000 + Math.floor(Math.random() * 800_000));
    withings.consentingUser = user;
    withings.pageSize = 10;
    const now = Math.floor(Date.now() / 1000);
    const days = Array.from({ length: 31 }, (_, i) => ({
      date: addDaysUtc(p.today, i - 30),
      steps: 4200 + wobble(i, 900),
      timezone: p.story.timezone,
      modified: now - (30 - i) * 86_400,
    }));
    withings.setDays(user, days);
    // The patient consents at "Withings", which sends the browser back to the service.
    const consent = await fetch(created.authorizeUrl, { redirect: 'manual' });
    const back = consent.headers.get('location');
    if (!back) throw new Error('the fake Withings did not redirect back');
    const callback = await fetch(back);
    if (callback.status !== 200) throw new Error(`the OAuth callback answered ${callback.status}`);
    line(`  consent given; the worker backfills ${days.length} days from Withings (pages of 10)…`);
    const synced = await poll(async () => {
      const s = await ok(
        `reading patient ${p.story.label}'s sources`,
        clinic.clinician.GET('/v1/patients/{id}/activity/sources', {
          params: { path: { id: p.id } },
        }),
      );
      const mine = s.connections.find((c) => c.id === created.id);
      return mine?.lastSyncAt ? mine : null;
    }, 45_000);
    if (!synced) throw new Error('the worker did not pull Withings within 45 s: is it running?');
    const last = days[days.length - 1];
    const dayOf = async (date: string) =>
      (
        await ok(
          `reading patient ${p.story.label}'s steps`,
          clinic.clinician.GET('/v1/patients/{id}/activity/daily', {
            params: { path: { id: p.id }, query: { from: date, to: date } },
          }),
        )
      ).data[0]?.steps;
    await poll(async () => ((await dayOf(last.date)) === last.steps ? true : null), 20_000);
    line(
      `  connection ${synced.status}; ${last.date}: ${await dayOf(last.date)} steps, as Withings counted them`,
    );
    // Withings notifies a change; the service pulls only what changed since its last pull.
    withings.setDays(user, [{ ...last, steps: last.steps + 1500, modified: now + 5 }]);
    const asked = withings.dataRequests(user).length;
    await withings.notify(user, last.date);
    await poll(async () => ((await dayOf(last.date)) === last.steps + 1500 ? true : null), 30_000);
    const since = withings.dataRequests(user).slice(asked);
    line(
      `  Withings notified a change; the service asked for data updated since its last pull (${since.length} request${since.length === 1 ? '' : 's'}): ${last.date} is now ${last.steps + 1500} steps`,
    );
    await ok(
      'deleting the connection',
      clinic.app.DELETE('/v1/connections/{id}', { params: { path: { id: created.id } } }),
      [204],
    );
    line('  connection deleted: revoked at Withings (a signed request), no more pulls');
  } finally {
    await withings.stop();
  }
}

function addDaysUtc(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

async function assertReady(): Promise<void> {
  let status: number;
  try {
    status = (await createSciatrackClient(BASE_URL, OPERATOR_TOKEN).GET('/health/ready')).response
      .status;
  } catch (err) {
    const cause =
      err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new Error(`cannot reach Sciatrack at ${BASE_URL} (${cause}): start it with npm start`);
  }
  if (status !== 200) throw new Error(`${BASE_URL}/health/ready answered ${status}: not ready`);
}

/** Removes the demo webhook endpoint: the receiver goes away with the demo. */
async function removeEndpoint(clinic: Clinic): Promise<void> {
  if (!clinic.endpointId) return;
  await ok(
    'deleting the webhook endpoint',
    clinic.admin.DELETE('/v1/webhook-endpoints/{id}', {
      params: { path: { id: clinic.endpointId } },
    }),
    [204],
  );
  clinic.endpointId = null;
}

/**
 * `--cleanup`: removes what the API lets an organization remove of the clinic this run made:
 * its patients are erased (records, samples, alerts, deliveries, connections and their jobs;
 * the audit rows stay), the webhook endpoint deleted, and last every key revoked, the admin key
 * too. The organization, its clinician and its client app stay (no endpoint deletes them).
 */
async function cleanUp(clinic: Clinic, patients: readonly DemoPatient[]): Promise<void> {
  heading('Cleaning up (--cleanup)');
  const admin = clinic.admin;
  await removeEndpoint(clinic);
  line('  webhook endpoint   deleted');
  for (const p of patients) {
    await ok(
      `erasing patient ${p.story.label}`,
      admin.DELETE('/v1/patients/{id}', { params: { path: { id: p.id } } }),
      [204],
    );
  }
  line(`  patients           ${patients.length} erased, with their records (audit rows kept)`);
  const keys = await everyPage((cursor) =>
    ok(
      'listing the keys',
      admin.GET('/v1/api-keys', { params: { query: { limit: 100, cursor } } }),
    ),
  );
  // The admin key last: it is the one that revokes the others.
  const live = keys.filter((k) => k.revokedAt === null && k.id !== clinic.adminKeyId);
  for (const k of live) {
    await ok(
      'revoking a key',
      admin.DELETE('/v1/api-keys/{id}', { params: { path: { id: k.id } } }),
      [204],
    );
  }
  await ok(
    'revoking the admin key',
    admin.DELETE('/v1/api-keys/{id}', { params: { path: { id: clinic.adminKeyId } } }),
    [204],
  );
  line(`  API keys           ${live.length + 1} revoked, the admin key last`);
  line(
    `\n  Left in the database, out of the API's reach: the organization "${clinic.name}", its\n` +
      '  clinician and client app (no endpoint deletes them), and the audit log.',
  );
}

async function main(): Promise<void> {
  line(`Sciatrack demo against ${BASE_URL}`);
  await assertReady();
  const runId = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const receiver = await startReceiver();
  let clinic: Clinic | null = null;
  const patients: DemoPatient[] = [];
  try {
    clinic = await setUpClinic(runId, receiver);
    for (const story of [improvingStory(), worseningStory(), restGapStory()]) {
      patients.push(await enrollPatient(clinic, runId, story));
    }

    heading('Two weeks of records (app key); what the rules answered');
    for (const p of patients) await playStory(clinic, p);
    const storyEnd = new Date();

    await showAdherence(clinic, patients);
    await showFlags(clinic, patients, storyEnd);
    await showOutcomes(clinic, patients);
    const alerts = await showAlertsAndWebhooks(clinic, patients, receiver);
    await showLifecycle(clinic, alerts);
    await showWorklist(clinic, patients);
    await showFhir(clinic, patients[1]);
    await showConnection(clinic, patients[0]);

    if (!CLEANUP) {
      // The receiver goes away with the demo: leave no endpoint pointing at a closed port.
      await removeEndpoint(clinic);
      heading('Done');
      line('The demo webhook endpoint was removed; the clinic and its records remain. Explore it:');
      line(`  ADMIN=${clinic.adminKey}`);
      line(`  curl -s ${BASE_URL}/v1/patients -H "Authorization: Bearer $ADMIN"`);
      line(`  (Swagger UI: ${BASE_URL}/docs; npm run demo -- --cleanup removes what a run made)`);
    }
  } finally {
    // Also after a failure: what the run made so far goes.
    if (CLEANUP && clinic) await cleanUp(clinic, patients);
    await receiver.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`\ndemo failed: ${message}\n`);
    process.exit(1);
  },
);
