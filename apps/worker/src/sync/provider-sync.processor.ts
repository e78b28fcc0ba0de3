import { AppConfig, Clock } from '@app/config';
import { addDays, localDateOf, type ImportFormat } from '@app/domain';
import {
  ActivityRepository,
  ConnectionsRepository,
  Db,
  WebhookSecrets,
  type LeasedConnection,
} from '@app/persistence';
import {
  GrantRevoked,
  PageTokenRefused,
  ProviderError,
  ProvidersService,
  RateLimited,
  TokenRefused,
} from '@app/providers';
import { importJobOptions, JobQueueService, syncJob, type JobPayloads } from '@app/queue';
import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { OnJob } from '../jobs/on-job.decorator';

/** Days pulled when a connection is made. */
export const BACKFILL_DAYS = 30;
/** Google data points a phone uploads late: each incremental pull re-reads this much before its gap. */
const GOOGLE_OVERLAP_MS = 24 * 3_600_000;
/** How far before a pull's start the next Withings pull asks from (`lastupdate`). */
const WITHINGS_CLOCK_MARGIN_MS = 10 * 60_000;
/** A token this close to its expiry is refreshed before the pull. */
const REFRESH_AHEAD_MS = 5 * 60_000;
/** Pages one job pulls at most; a connection with more goes on in the next job. */
const MAX_PAGES = 200;
const CHUNK_BYTES = 1024 * 1024;
const SCHEDULE_EVERY_MS = 60_000;
const TIDY_EVERY_MS = 10 * 60_000;

/** Where a connection's next pull starts (wearable_connections.cursor). */
interface Cursor {
  /** Withings: a range of days (the backfill), or data updated since `lastupdate`. */
  startdateymd?: string;
  enddateymd?: string;
  lastupdate?: number;
  /** The `lastupdate` the pull under way will leave behind (its start). */
  passStartedAt?: number;
  offset?: number;
  /** Google: the window [from, to) being read, and the page reached. */
  from?: string;
  to?: string;
  pageToken?: string;
  /** Google: where the last complete pull ended. */
  syncedTo?: string;
  /** Withings: notifications subscribed. */
  subscribed?: boolean;
}

class LeaseLost extends Error {}
class BudgetSpent extends RateLimited {}

/**
 * Pulls wearable-cloud connections (docs/providers.md): a backfill of 30 days when connected,
 * then from the cursor every PROVIDER_SYNC_EVERY_MS and on notifications. One worker at a time
 * per connection (a lease in PostgreSQL), requests within a budget shared by all workers (Redis),
 * tokens refreshed before expiry and once on a refusal. Each fetched page is stored and imported
 * as a push of its format is, in the transaction that moves the cursor past it: a pull resumed
 * after a crash fetches only what was not stored, and the import's record identities keep a page
 * fetched twice from counting twice.
 */
@Injectable()
export class ProviderSyncProcessor {
  private readonly logger = new Logger(ProviderSyncProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly db: Db,
    private readonly connections: ConnectionsRepository,
    private readonly activity: ActivityRepository,
    private readonly providers: ProvidersService,
    private readonly secrets: WebhookSecrets,
    private readonly jobs: JobQueueService,
  ) {}

  private get leaseMs(): number {
    return this.config.JOB_LOCK_MS;
  }

  @OnJob('provider.sync')
  async sync(
    { connectionId }: JobPayloads['provider.sync'],
    job: Job,
  ): Promise<{ status: string }> {
    const owner = `${hostname()}:${process.pid}:${job.id ?? randomUUID()}`;
    const leased = await this.connections.lease(connectionId, owner, this.leaseMs);
    if (!leased) {
      // Another worker holds it (or held it when it died: its lease runs out), or the provider
      // asked to wait: come back then, so that a pull asked for now (a notification, a crashed
      // pull) is not lost. Not connected (deleted, in error): nothing to do.
      const blocked = await this.connections.blockedMs(connectionId);
      if (blocked === null) return { status: 'not-connected' };
      await this.requeue(connectionId, 'busy', blocked + 100);
      return { status: 'busy' };
    }
    try {
      const more = await this.pullWithFreshToken(leased, owner);
      await this.connections.release(leased.id, owner, { kind: 'ok' });
      if (more) await this.requeue(leased.id, 'more', 0);
      return { status: 'synced' };
    } catch (err) {
      return this.failed(leased, owner, err);
    }
  }

  /** The pull, with the token refreshed ahead of its expiry and once after a refusal. */
  private async pullWithFreshToken(c: LeasedConnection, owner: string): Promise<boolean> {
    let token = this.secrets.open(c.accessToken!);
    if (!c.tokenExpiresAt || c.tokenExpiresAt.getTime() - this.clock.nowMs() < REFRESH_AHEAD_MS) {
      token = await this.refresh(c, owner);
    }
    try {
      return await this.pull(c, owner, token);
    } catch (err) {
      if (!(err instanceof TokenRefused)) throw err;
      return this.pull(c, owner, await this.refresh(c, owner));
    }
  }

  private async refresh(c: LeasedConnection, owner: string): Promise<string> {
    if (!(await this.connections.extend(c.id, owner, this.leaseMs))) {
      throw new LeaseLost('the lease was lost: another worker has the connection');
    }
    await this.spend(c);
    const sealed = c.refreshToken!;
    let tokens;
    try {
      tokens =
        c.provider === 'google-health'
          ? await this.client(c).google.refresh(this.secrets.open(sealed))
          : await this.client(c).withings.refresh(this.secrets.open(sealed));
    } catch (err) {
      // Refused, but another refresh rotated the token meanwhile: the grant is alive.
      const stored = await this.connections.refreshToken(c.id);
      if (err instanceof GrantRevoked && stored && !stored.equals(sealed)) {
        throw new LeaseLost('another pull refreshed the token meanwhile');
      }
      throw err;
    }
    const next = {
      accessToken: this.secrets.seal(tokens.accessToken),
      refreshToken: this.secrets.seal(tokens.refreshToken),
      expiresAt: tokens.expiresAt,
    };
    // Kept whoever holds the lease now: Withings has already invalidated the old refresh token.
    await this.connections.saveTokens(c.id, sealed, next);
    c.refreshToken = next.refreshToken;
    return tokens.accessToken;
  }

  /** Pulls pages until the cursor is caught up (false) or MAX_PAGES were pulled (true: more). */
  private async pull(c: LeasedConnection, owner: string, token: string): Promise<boolean> {
    return c.provider === 'google-health'
      ? this.pullGoogle(c, owner, token)
      : this.pullWithings(c, owner, token);
  }

  private async pullWithings(c: LeasedConnection, owner: string, token: string): Promise<boolean> {
    const withings = this.client(c).withings;
    let cursor = c.cursor as Cursor;
    if (!cursor.subscribed) {
      try {
        await this.spend(c);
        await withings.subscribe(token, this.providers.withingsNotifyUrl(c.id));
        cursor = { ...cursor, subscribed: true };
      } catch (err) {
        if (!(err instanceof ProviderError) || err instanceof RateLimited) throw err;
        // Notifications only make pulls sooner: the schedule still pulls, and the next pull
        // tries to subscribe again.
        this.logger.warn(
          { connectionId: c.id, errorClass: err.constructor.name },
          'notify subscribe failed',
        );
      }
    }
    // The next pull asks for what changed after this one began, less a margin for the clocks of
    // Withings and ours (a day read twice is the same record: it does not count twice).
    const now = Math.floor((this.clock.nowMs() - WITHINGS_CLOCK_MARGIN_MS) / 1000);
    if (cursor.lastupdate === undefined && cursor.startdateymd === undefined) {
      // The backfill: the last 30 local days of the patient, then what is updated after it began.
      const today = localDateOf(this.clock.now(), c.timezone);
      cursor = {
        ...cursor,
        startdateymd: addDays(today, -BACKFILL_DAYS),
        enddateymd: today,
        passStartedAt: now,
        offset: 0,
      };
    } else if (cursor.passStartedAt === undefined) {
      cursor = { ...cursor, passStartedAt: now, offset: 0 };
    }
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      await this.spend(c);
      const window =
        cursor.startdateymd !== undefined
          ? { startdateymd: cursor.startdateymd, enddateymd: cursor.enddateymd! }
          : { lastupdate: cursor.lastupdate! };
      const page = await withings.activityPage(token, window, cursor.offset ?? 0);
      const done = page.nextOffset === null;
      const next: Cursor = done
        ? { subscribed: cursor.subscribed, lastupdate: cursor.passStartedAt }
        : { ...cursor, offset: page.nextOffset! };
      await this.store(c, owner, 'withings', page.body, next, {
        backfilled: done && cursor.startdateymd !== undefined,
        synced: done,
      });
      cursor = next;
      if (done) return false;
    }
    return true;
  }

  private async pullGoogle(c: LeasedConnection, owner: string, token: string): Promise<boolean> {
    const google = this.client(c).google;
    let cursor = c.cursor as Cursor;
    if (cursor.from === undefined) {
      const now = this.clock.nowMs();
      const from = cursor.syncedTo
        ? Date.parse(cursor.syncedTo) - GOOGLE_OVERLAP_MS
        : now - BACKFILL_DAYS * 86_400_000;
      cursor = {
        syncedTo: cursor.syncedTo,
        from: new Date(from).toISOString(),
        to: new Date(now).toISOString(),
      };
    }
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      await this.spend(c);
      let page;
      try {
        page = await google.stepsPage(token, {
          from: cursor.from!,
          to: cursor.to!,
          pageToken: cursor.pageToken,
        });
      } catch (err) {
        // A page token kept across an outage may have lapsed: read the window from its start
        // again (the records read twice are the same records).
        if (!(err instanceof PageTokenRefused) || !cursor.pageToken) throw err;
        cursor = { ...cursor, pageToken: undefined };
        continue;
      }
      const done = page.nextPageToken === null;
      const next: Cursor = done
        ? { syncedTo: cursor.to }
        : { ...cursor, pageToken: page.nextPageToken! };
      await this.store(c, owner, 'google-health', page.body, next, {
        backfilled: done,
        synced: done,
      });
      cursor = next;
      if (done) return false;
    }
    return true;
  }

  /** Stores a page as an import and moves the cursor past it, together; then queues the import. */
  private async store(
    c: LeasedConnection,
    owner: string,
    format: ImportFormat,
    body: Buffer,
    cursor: Cursor,
    done: { backfilled: boolean; synced: boolean },
  ): Promise<void> {
    const importId = randomUUID();
    const kept = await this.db.transaction(async (tx) => {
      if (!(await this.connections.advance(tx, c.id, owner, { ...cursor }, done, this.leaseMs))) {
        return false;
      }
      await this.activity.storeImport(
        tx,
        {
          id: importId,
          organizationId: c.organizationId,
          patientId: c.patientId,
          format,
          createdByKeyId: null,
        },
        body,
        CHUNK_BYTES,
      );
      return true;
    });
    if (!kept) throw new LeaseLost('the lease was lost: another worker has the connection');
    try {
      await this.jobs.add('activity.import', { importId }, importJobOptions(importId));
    } catch {
      // Stored: the import sweep queues it.
    }
  }

  /** A request within the provider's budget, shared by every worker (else wait for the minute). */
  private async spend(c: LeasedConnection): Promise<void> {
    const now = this.clock.nowMs();
    const ok = await this.jobs.takeBudget(
      c.provider,
      this.config.PROVIDER_REQUESTS_PER_MINUTE,
      now,
    );
    if (!ok) throw new BudgetSpent('this minute’s budget is spent', 60_000 - (now % 60_000) + 500);
  }

  private async failed(
    c: LeasedConnection,
    owner: string,
    err: unknown,
  ): Promise<{ status: string }> {
    const errorClass = err instanceof Error ? err.constructor.name : typeof err;
    if (err instanceof GrantRevoked) {
      await this.connections.markError(c.id, `${err.message}: the patient must connect again`);
      this.logger.warn({ connectionId: c.id }, 'provider refused the grant; connection in error');
      return { status: 'error' };
    }
    if (err instanceof RateLimited) {
      await this.connections.release(c.id, owner, {
        kind: 'wait',
        waitMs: err.retryAfterMs,
        error: err instanceof BudgetSpent ? null : err.message,
      });
      await this.requeue(c.id, 'retry', err.retryAfterMs);
      return { status: 'rate-limited' };
    }
    if (err instanceof LeaseLost) return { status: 'lease-lost' };
    // Backed off (1, 2, 4… minutes): a connection that keeps failing does not spend the
    // provider's budget that the others need.
    await this.connections.release(c.id, owner, {
      kind: 'failed',
      error: err instanceof ProviderError ? err.message : `the pull failed (${errorClass})`,
    });
    this.logger.warn({ connectionId: c.id, errorClass }, 'pull failed');
    return { status: 'failed' };
  }

  /**
   * Queues a pull `delayMs` from now. Its id names the reason and the 10-second slot it is due
   * in, so that pulls asked for together (a burst of notifications, workers waiting on one
   * lease) make one; a retry after a wait names the moment, never the running job's own id.
   */
  private async requeue(connectionId: string, reason: string, delayMs: number): Promise<void> {
    const due = this.clock.nowMs() + delayMs;
    const job = syncJob(connectionId, reason === 'retry' ? `retry${due}` : reason, due);
    try {
      await this.jobs.add('provider.sync', job.payload, {
        jobId: job.jobId,
        ...job.options,
        delay: Math.max(0, Math.round(delayMs)),
      });
    } catch {
      // The schedule pulls it at the latest.
    }
  }

  private client(c: LeasedConnection) {
    const google = this.providers.google;
    const withings = this.providers.withings;
    if ((c.provider === 'google-health' && !google) || (c.provider === 'withings' && !withings)) {
      throw new GrantRevoked(`${c.provider} is no longer configured on this deployment`);
    }
    return { google: google!, withings: withings! };
  }

  /**
   * Queues a pull of every connection not pulled for PROVIDER_SYNC_EVERY_MS. One scheduled job
   * per connection and interval (its id names the interval), however many workers tick.
   */
  @Interval(SCHEDULE_EVERY_MS)
  async schedule(): Promise<number> {
    const every = this.config.PROVIDER_SYNC_EVERY_MS;
    const due = await this.connections.due(every, 1000);
    const slot = Math.floor(this.clock.nowMs() / every);
    for (const id of due) await this.requeue(id, `schedule${slot}`, 0);
    return due.length;
  }

  /** Tidies the OAuth flows (old states, connections whose consent never came back). */
  @Interval(TIDY_EVERY_MS)
  async tidy(): Promise<{ states: number; abandoned: number }> {
    return this.connections.tidy();
  }
}
