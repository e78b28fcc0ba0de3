import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

export type NodeEnv = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const DEV_ADMIN_TOKEN = 'dev-operator-token-change-me';
// 32 bytes, base64. Development and tests only: production must set its own.
const DEV_WEBHOOK_SECRETS_KEY = 'ZGV2LW9ubHktd2ViaG9vay1zZWNyZXRzLWtleS0zMmI=';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return value;
};

/**
 * The one typed configuration of both processes. Every field has a default that matches the
 * local services of a development machine; production must set ADMIN_TOKEN.
 */
export class AppConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: NodeEnv = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** The runtime role: the only connection the API and the worker serve from. It owns nothing. */
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://sciatrack_app@127.0.0.1/sciatrack';

  /**
   * The role that owns the schema: creates the database and the runtime role if missing, runs
   * the migrations and grants. Outside production it defaults to the server's `postgres`
   * superuser (local trust auth); in production only what migrates should be given it.
   */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_OWNER_URL must be a postgres:// URL' })
  DATABASE_OWNER_URL: string | undefined = undefined;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  /**
   * A streaming replica of the primary, as the runtime role of DATABASE_URL on its database: reads
   * that may be a moment behind go there (docs/read-replica.md). Unset, every read goes to the
   * primary.
   */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_REPLICA_URL must be a postgres:// URL' })
  DATABASE_REPLICA_URL: string | undefined = undefined;

  /** How far behind the primary the replica may be and still serve reads (else the primary does). */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  DATABASE_REPLICA_MAX_LAG_MS = 5000;

  /** How often a process measures how far behind the replica is (the measure's precision). */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(60_000)
  DATABASE_REPLICA_CHECK_MS = 1000;

  @IsString()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /**
   * A Redis Cluster instead of REDIS_URL: its seed nodes, comma-separated `redis://host:port`
   * (or `rediss://`, with the credentials of the first). The client finds the other nodes itself.
   */
  @IsOptional()
  @IsString()
  @Matches(/^rediss?:\/\/[^\s,]+(,\s*rediss?:\/\/[^\s,]+)*$/, {
    message: 'REDIS_CLUSTER_NODES must be comma-separated redis:// or rediss:// URLs',
  })
  REDIS_CLUSTER_NODES: string | undefined = undefined;

  /**
   * Names every Redis key of the service. Each queue's keys get their own hash tag built from it
   * (`{<prefix>:<queue>}`), so that on a cluster each queue lives in one slot and the queues
   * spread over the nodes; the prefix itself therefore carries no braces.
   */
  @IsString()
  @Matches(/^[A-Za-z0-9_-]+$/, {
    message: 'QUEUE_PREFIX must be letters, digits, - or _ (no braces: each queue gets its tag)',
  })
  QUEUE_PREFIX = 'sciatrack';

  @IsString()
  @MinLength(16)
  ADMIN_TOKEN = DEV_ADMIN_TOKEN;

  /**
   * The queue dashboard (bull-board) at /admin/queues on the API, behind ADMIN_TOKEN: off unless
   * set, so that a deployment opts in to one more page that shows every job.
   */
  @Transform(toBool)
  @IsBoolean()
  QUEUE_DASHBOARD_ENABLED = false;

  /**
   * An OpenTelemetry collector's OTLP/HTTP base address (`http://collector:4318`): set, both
   * processes export traces to its /v1/traces; unset, tracing is off and nothing of the SDK is
   * loaded. The exporter's other OTEL_EXPORTER_OTLP_* variables (headers, timeout) apply.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s?#]+$/, {
    message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL without a query or fragment',
  })
  OTEL_EXPORTER_OTLP_ENDPOINT: string | undefined = undefined;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: LogLevel = 'info';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** How long a client has to send a request's headers (Node's headersTimeout). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 20_000;

  /** How long an idle kept-alive connection stays open (below a load balancer's own idle timeout). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;

  /** How long a client has to send a JSON body (a slow sender holds a connection until then). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_BODY_TIMEOUT_MS = 30_000;

  /** How long a client has to send an activity import (up to IMPORT_MAX_BYTES over a slow link). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(24 * 3_600_000)
  IMPORT_UPLOAD_TIMEOUT_MS = 30 * 60_000;

  /** Largest activity import accepted (an Apple Health export is streamed, not held in memory). */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  IMPORT_MAX_BYTES = 2 * 1024 * 1024 * 1024;

  /** Largest JSON activity import (those are parsed whole). */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(512 * 1024 * 1024)
  IMPORT_JSON_MAX_BYTES = 32 * 1024 * 1024;

  /** Samples written per transaction by the import worker. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(100_000)
  IMPORT_BATCH_SIZE = 5000;

  /**
   * The address clients reach the FHIR face at (`https://api.example.org/fhir/R4`), written into
   * Bundle links, fullUrls and Bulk Data manifests. Unset, it is taken from each request.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s?#]+[^/\s?#]$/, {
    message: 'FHIR_BASE_URL must be an http(s) URL without a trailing slash, query or fragment',
  })
  FHIR_BASE_URL: string | undefined = undefined;

  /** Bulk Data exports an organization may have queued or running at once (more: 429). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  FHIR_EXPORTS_PER_ORGANIZATION = 2;

  /** How long a finished export's files can be downloaded. */
  @Transform(toInt)
  @IsInt()
  @Min(60_000)
  @Max(7 * 24 * 3_600_000)
  FHIR_EXPORT_LIFETIME_MS = 24 * 3_600_000;

  /** Patients an export commits at a time (its progress, and what a crash makes it redo). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  FHIR_EXPORT_BATCH_PATIENTS = 100;

  /**
   * A pause between an export's batches, to leave the database room for the clinic's own work
   * while a large organization exports (0: none).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  FHIR_EXPORT_BATCH_PAUSE_MS = 0;

  /**
   * The address the API is reached at from outside (`https://api.example.org`): OAuth redirect
   * URIs and provider notification callbacks are built on it. Unset, connections to wearable
   * clouds cannot be made.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s?#]+[^/\s?#]$/, {
    message: 'PUBLIC_BASE_URL must be an http(s) URL without a trailing slash, query or fragment',
  })
  PUBLIC_BASE_URL: string | undefined = undefined;

  /** Google Health API OAuth client (docs/providers.md); unset: the provider is unavailable. */
  @IsOptional()
  @IsString()
  GOOGLE_HEALTH_CLIENT_ID: string | undefined = undefined;

  @IsOptional()
  @IsString()
  GOOGLE_HEALTH_CLIENT_SECRET: string | undefined = undefined;

  /** Google's OAuth authorization endpoint (a fake provider's in tests). */
  @Matches(/^https?:\/\/\S+$/)
  GOOGLE_HEALTH_AUTH_URL = 'https://accounts.google.com/o/oauth2/v2/auth';

  /** Google's OAuth token endpoint (code exchange, refresh). */
  @Matches(/^https?:\/\/\S+$/)
  GOOGLE_HEALTH_TOKEN_URL = 'https://oauth2.googleapis.com/token';

  /** Google's OAuth revocation endpoint. */
  @Matches(/^https?:\/\/\S+$/)
  GOOGLE_HEALTH_REVOKE_URL = 'https://oauth2.googleapis.com/revoke';

  /** The Google Health API (`…/v4/users/me/dataTypes/steps/dataPoints` below it). */
  @Matches(/^https?:\/\/\S+[^/]$/)
  GOOGLE_HEALTH_API_URL = 'https://health.googleapis.com';

  /** Withings OAuth client (docs/providers.md); unset: the provider is unavailable. */
  @IsOptional()
  @IsString()
  WITHINGS_CLIENT_ID: string | undefined = undefined;

  @IsOptional()
  @IsString()
  WITHINGS_CLIENT_SECRET: string | undefined = undefined;

  /** Withings' OAuth authorization page. */
  @Matches(/^https?:\/\/\S+$/)
  WITHINGS_AUTH_URL = 'https://account.withings.com/oauth2_user/authorize2';

  /** The Withings public API (`/v2/oauth2`, `/v2/measure`, `/notify`, `/v2/signature` below it). */
  @Matches(/^https?:\/\/\S+[^/]$/)
  WITHINGS_API_URL = 'https://wbsapi.withings.net';

  /** Requests per minute each provider gets from all workers together (a Redis budget). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  PROVIDER_REQUESTS_PER_MINUTE = 100;

  /** How often every connected account is pulled (notifications pull sooner). */
  @Transform(toInt)
  @IsInt()
  @Min(10_000)
  @Max(24 * 3_600_000)
  PROVIDER_SYNC_EVERY_MS = 15 * 60_000;

  /** Parallel jobs per worker process and queue. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WORKER_CONCURRENCY = 4;

  /** How long a worker holds a job before another may take it over (a killed worker's job). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  JOB_LOCK_MS = 30_000;

  /** The API applies pending migrations at start (as the owner); the worker never does. */
  @Transform(toBool)
  @IsBoolean()
  MIGRATIONS_RUN = true;

  /** How long a process that does not migrate waits for the schema before giving up. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  MIGRATIONS_WAIT_MS = 60_000;

  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_URLS = false;

  /** Encrypts webhook signing secrets at rest (AES-256-GCM): 32 bytes, base64. */
  @IsString()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'WEBHOOK_SECRETS_KEY must be 32 bytes in base64' })
  WEBHOOK_SECRETS_KEY = DEV_WEBHOOK_SECRETS_KEY;

  /** How long a receiver has to answer one delivery attempt. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120_000)
  WEBHOOK_TIMEOUT_MS = 15_000;

  /** Webhook attempts a worker process makes at once (they mostly wait on the receivers). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(512)
  WEBHOOK_CONCURRENCY = 32;

  /** Attempts in flight per endpoint, across workers: a slow receiver holds this many slots. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WEBHOOK_ENDPOINT_CONCURRENCY = 4;

  /** Seconds to wait after each failed attempt, comma separated; its length is the retry count. */
  @IsString()
  @Matches(/^\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?){0,19}$/, {
    message: 'WEBHOOK_RETRY_SCHEDULE must be seconds separated by commas (at most 20)',
  })
  WEBHOOK_RETRY_SCHEDULE = '5,300,1800,7200,18000,36000,36000';

  /** How often the worker looks for outbox rows and deliveries that a lost notification or job left behind. */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(60_000)
  OUTBOX_POLL_MS = 1000;

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }

  get usesDevWebhookSecretsKey(): boolean {
    return this.WEBHOOK_SECRETS_KEY === DEV_WEBHOOK_SECRETS_KEY;
  }

  /** WEBHOOK_RETRY_SCHEDULE as numbers (validated above). */
  get webhookRetrySchedule(): number[] {
    return this.WEBHOOK_RETRY_SCHEDULE.split(',').map((s) => Number(s.trim()));
  }

  get usesDevAdminToken(): boolean {
    return this.ADMIN_TOKEN === DEV_ADMIN_TOKEN;
  }
}

export class ConfigError extends Error {}

const KEYS = Object.keys(new AppConfig()) as (keyof AppConfig)[];

/** Reads and validates the environment once; throws ConfigError with one readable line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const key of KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { skipMissingProperties: false });
  if (errors.length > 0) {
    const parts = errors.map((e) => Object.values(e.constraints ?? {}).join(', '));
    throw new ConfigError(`invalid configuration: ${parts.join('; ')}`);
  }
  if (config.HTTP_HEADERS_TIMEOUT_MS <= config.HTTP_KEEP_ALIVE_TIMEOUT_MS) {
    // Node closes a kept-alive socket at its keep-alive timeout; a headers timeout below it
    // would cut a request that starts just before.
    throw new ConfigError(
      'invalid configuration: HTTP_HEADERS_TIMEOUT_MS must be greater than HTTP_KEEP_ALIVE_TIMEOUT_MS',
    );
  }
  if (config.isProduction && config.usesDevAdminToken) {
    throw new ConfigError('invalid configuration: ADMIN_TOKEN must be set in production');
  }
  if (config.isProduction && config.usesDevWebhookSecretsKey) {
    throw new ConfigError('invalid configuration: WEBHOOK_SECRETS_KEY must be set in production');
  }
  config.DATABASE_OWNER_URL = ownerUrlOf(config);
  checkReplicaUrl(config);
  return config;
}

/** The user and database a postgres:// URL names ('' where it names none). */
export function postgresTarget(url: string): { role: string; database: string } {
  const parsed = new URL(url);
  return {
    role: decodeURIComponent(parsed.username),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
  };
}

/** `url` on another database of the same server, with the same credentials. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

function targetOf(name: string, url: string): { role: string; database: string } {
  try {
    return postgresTarget(url);
  } catch {
    throw new ConfigError(`invalid configuration: ${name} is not a valid URL`);
  }
}

// One database, two roles: the owner URL names the server and the owner's credentials, and its
// database is always DATABASE_URL's, so the two cannot drift apart.
function ownerUrlOf(config: AppConfig): string | undefined {
  const runtime = targetOf('DATABASE_URL', config.DATABASE_URL);
  if (!runtime.role || !runtime.database) {
    throw new ConfigError(
      'invalid configuration: DATABASE_URL must name its role and database ' +
        '(postgres://sciatrack_app@127.0.0.1/sciatrack)',
    );
  }
  let ownerUrl = config.DATABASE_OWNER_URL;
  if (ownerUrl === undefined) {
    if (config.isProduction) return undefined;
    const derived = new URL(config.DATABASE_URL);
    derived.username = 'postgres';
    derived.password = '';
    ownerUrl = derived.toString();
  }
  const owner = targetOf('DATABASE_OWNER_URL', ownerUrl);
  if (!owner.role) {
    throw new ConfigError('invalid configuration: DATABASE_OWNER_URL must name its role');
  }
  if (owner.database && owner.database !== runtime.database) {
    throw new ConfigError(
      `invalid configuration: DATABASE_OWNER_URL names database "${owner.database}" and ` +
        `DATABASE_URL "${runtime.database}": name the same one, or none in DATABASE_OWNER_URL`,
    );
  }
  if (owner.role === runtime.role) {
    throw new ConfigError(
      `invalid configuration: DATABASE_URL connects as "${runtime.role}", the owner role of ` +
        'DATABASE_OWNER_URL; the service must run as a role that owns nothing ' +
        '(see "Database roles" in the README)',
    );
  }
  return withDatabase(ownerUrl, runtime.database);
}

// A streaming replica holds the primary's roles and databases: the same runtime role, on the same
// database, is the only target that makes sense; anything else is a copy-paste slip.
function checkReplicaUrl(config: AppConfig): void {
  if (config.DATABASE_REPLICA_URL === undefined) return;
  const runtime = postgresTarget(config.DATABASE_URL);
  const replica = targetOf('DATABASE_REPLICA_URL', config.DATABASE_REPLICA_URL);
  if (!replica.role || !replica.database) {
    throw new ConfigError(
      'invalid configuration: DATABASE_REPLICA_URL must name its role and database ' +
        '(postgres://sciatrack_app@replica.internal/sciatrack)',
    );
  }
  if (replica.role !== runtime.role || replica.database !== runtime.database) {
    throw new ConfigError(
      `invalid configuration: DATABASE_REPLICA_URL connects as "${replica.role}" to ` +
        `"${replica.database}"; a replica serves the runtime role of DATABASE_URL ` +
        `("${runtime.role}") on its database ("${runtime.database}")`,
    );
  }
  if (config.DATABASE_REPLICA_CHECK_MS >= config.DATABASE_REPLICA_MAX_LAG_MS) {
    // The lag is known to within a check: with checks this far apart it never looks small enough.
    throw new ConfigError(
      'invalid configuration: DATABASE_REPLICA_CHECK_MS must be less than DATABASE_REPLICA_MAX_LAG_MS',
    );
  }
}

/** A URL fit for a log line or an error message: the password is never printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}
