import { ClinicalRecordsService, type RecordsScope } from '@app/records';
import { AppConfig, Clock } from '@app/config';
import type { PainObservationItem, Rejection } from '@app/domain';
import {
  ActivityRepository,
  type ClaimedImport,
  Db,
  DuplicateSampleError,
  PatientsRepository,
  type SampleBatch,
  type Tx,
} from '@app/persistence';
import type { JobPayloads } from '@app/queue';
import { parseImport, type ParsedBatch, type Payload } from '@app/wearables';
import { Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { OnJob } from '../jobs/on-job.decorator';

/** What a transaction of the import writes: a batch of the parser's output. */
type Pending = Omit<ParsedBatch, 'rejections'> & { rejections: Rejection[] };

/** Takes of one rollup job: enough for a burst of batches, bounded for a patient who never stops. */
const MAX_ROLLUP_PASSES = 10;
const nothingPending = (): Pending => ({ samples: [], pains: [], retractions: [], rejections: [] });
const records = (p: Pending) =>
  p.samples.length + p.pains.length + p.retractions.length + p.rejections.length;

/**
 * Of a withdrawal and a version of the same record in one batch, the later in the payload has
 * the last word: the earlier is dropped.
 */
export function lastWordOf(batch: Pending): SampleBatch {
  const position = (ref: { index?: number; line?: number }) => ref.index ?? ref.line ?? -1;
  const lastVersion = new Map<string, number>();
  for (const s of batch.samples) {
    if (s.record)
      lastVersion.set(s.record.id, Math.max(lastVersion.get(s.record.id) ?? -1, position(s.ref)));
  }
  const lastWithdrawal = new Map<string, number>();
  for (const r of batch.retractions) {
    lastWithdrawal.set(r.recordId, Math.max(lastWithdrawal.get(r.recordId) ?? -1, position(r.ref)));
  }
  return {
    samples: batch.samples.filter(
      (s) => !s.record || (lastWithdrawal.get(s.record.id) ?? -1) < position(s.ref),
    ),
    retractions: batch.retractions.filter(
      (r) => (lastVersion.get(r.recordId) ?? -1) < position(r.ref),
    ),
  };
}

/**
 * Imports one stored payload, in steps: claim it (one statement, with what the parse needs of
 * the patient), stream its chunks through the parser, and write each batch in one transaction
 * (its pain scores through the rules, then its samples, days, sources and counts in one
 * statement); the last batch's transaction also completes the import and rolls up the
 * patient's marked days. A job restarted after a crash skips the records its committed
 * batches already hold, so every sample is stored once and the counts stay exact.
 */
@Injectable()
export class ActivityImportProcessor {
  private readonly logger = new Logger(ActivityImportProcessor.name);

  constructor(
    private readonly db: Db,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly activity: ActivityRepository,
    private readonly clinical: ClinicalRecordsService,
    private readonly patients: PatientsRepository,
  ) {}

  @OnJob('activity.import')
  async importActivity(
    { importId }: JobPayloads['activity.import'],
    job: Job,
  ): Promise<{ status: string }> {
    const claimed = await this.activity.claim(importId);
    if (!claimed) return { status: 'skipped' };
    try {
      await this.ingest(claimed);
    } catch (err) {
      // Erased meanwhile (its patient with it): nothing is left to import or to fail.
      if (!(await this.activity.importById(claimed.id))) return { status: 'gone' };
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const unrecoverable = !isTransient(err);
      if (unrecoverable || lastAttempt) {
        await this.fail(
          claimed,
          unrecoverable ? describe(err) : `gave up after ${job.attemptsMade + 1} attempts`,
        );
        if (unrecoverable) throw new UnrecoverableError(describe(err));
      }
      throw err;
    }
    return { status: 'completed' };
  }

  /** The days an import written in its request marked (see the API's inline imports). */
  @OnJob('activity.rollup')
  async rollUp({ organizationId, patientId }: JobPayloads['activity.rollup']): Promise<void> {
    // A batch written while this job runs queues a job of the same id, which BullMQ ignores
    // while this one is active: so take again until nothing is left (the sweep covers the
    // moment between the last take and this job's end).
    for (let pass = 0; pass < MAX_ROLLUP_PASSES; pass++) {
      let rolled: number | null;
      try {
        rolled = await this.db.transaction((tx) =>
          this.activity.rollUpMarkedDays(tx, organizationId, patientId),
        );
      } catch (err) {
        // The patient was erased while its days were rolled up: nothing is left to roll up.
        if (!(await this.patients.exists(patientId))) return;
        throw err;
      }
      if (!rolled) return;
    }
  }

  private async ingest(claimed: ClaimedImport): Promise<void> {
    let position = 0;
    let pending = nothingPending();
    const take = <T>(items: T[], into: T[]) => {
      for (const item of items) if (position++ >= claimed.processed) into.push(item);
    };
    for await (const batch of parseImport(claimed.format, this.payload(claimed), {
      timezone: claimed.timezone,
      now: this.clock.now(),
      jsonMaxBytes: this.config.IMPORT_JSON_MAX_BYTES,
    })) {
      take(batch.samples, pending.samples);
      take(batch.pains, pending.pains);
      take(batch.retractions, pending.retractions);
      take(batch.rejections, pending.rejections);
      if (records(pending) >= this.config.IMPORT_BATCH_SIZE) {
        await this.commitBatch(claimed, pending, false);
        pending = nothingPending();
      }
    }
    await this.commitBatch(claimed, pending, true);
  }

  /** The stored payload, one chunk row at a time: memory stays bounded for any export size. */
  private async *payload(claimed: ClaimedImport): Payload {
    for (let seq = 0; seq < claimed.chunkCount; seq++) {
      const data = await this.activity.chunk(claimed, seq);
      if (!data) {
        throw new UnrecoverableError(`payload chunk ${seq} of import ${claimed.id} is missing`);
      }
      yield data;
    }
  }

  /**
   * One transaction: the batch's pain scores, its samples (first as new data; again skipping
   * stored ones if it holds any), and with the last batch, the completion and the rollup.
   */
  private async commitBatch(claimed: ClaimedImport, batch: Pending, last: boolean): Promise<void> {
    const write = (skipStored: boolean) =>
      this.db.transaction(async (tx) => {
        const painsRecorded = batch.pains.length
          ? await this.recordPains(tx, claimed, batch.pains)
          : 0;
        await this.activity.writeBatch(
          tx,
          { ...claimed, receivedAt: claimed.createdAt },
          lastWordOf(batch),
          {
            received: records(batch),
            rejections: batch.rejections.map(({ index, line, reason }) => ({
              ...(index !== undefined ? { index } : {}),
              ...(line !== undefined ? { line } : {}),
              reason,
            })),
            painsRecorded,
            painsReceived: batch.pains.length,
          },
          { last, skipStored },
        );
        if (last)
          await this.activity.rollUpMarkedDays(tx, claimed.organizationId, claimed.patientId);
      });
    try {
      await write(false);
    } catch (err) {
      if (!(err instanceof DuplicateSampleError)) throw err;
      await write(true);
    }
  }

  /**
   * Pain scores in a payload (FHIR 72514-3) become pain reports, through the same rules as
   * those an app posts, all of a batch at once. A score outside a session is taken at rest:
   * context `baseline`. The FHIR id is the clientRef, so a replayed bundle records nothing twice.
   */
  private async recordPains(
    tx: Tx,
    claimed: ClaimedImport,
    pains: PainObservationItem[],
  ): Promise<number> {
    const now = this.clock.now();
    const refs = pains.map((pain) => `fhir:${pain.externalId}`);
    // In the import's transaction (open in this call chain): `record` runs on it.
    return this.clinical.record((scope) => this.recordPainsIn(scope, claimed, pains, refs, now));
  }

  private async recordPainsIn(
    scope: RecordsScope,
    claimed: ClaimedImport,
    pains: PainObservationItem[],
    refs: string[],
    now: Date,
  ): Promise<number> {
    const ctx = await this.clinical.loadContext(
      scope,
      null,
      claimed.patientId,
      { table: 'pain_reports', clientRefs: refs },
      pains.map((pain) => pain.reportedAt),
      now,
    );
    if (!ctx) return 0;
    const fresh = new Map<string, PainObservationItem>();
    pains.forEach((pain, i) => {
      if (!ctx.existing.has(refs[i]) && !fresh.has(refs[i])) fresh.set(refs[i], pain);
    });
    if (fresh.size === 0) return 0;
    await this.clinical.write(scope, ctx, {
      session: null,
      reports: [...fresh].map(([clientRef, pain]) => ({
        clientRef,
        requestHash: null,
        reportedAt: pain.reportedAt,
        intensity: pain.intensity,
        mostDistalSite: pain.mostDistalSite,
        side: pain.side,
        context: 'baseline' as const,
        redFlags: null,
        odi: null,
      })),
      createdByKeyId: claimed.createdByKeyId,
      now,
    });
    return fresh.size;
  }

  /** The batches committed before the failure are kept: their days are rolled up too. */
  private async fail(claimed: ClaimedImport, reason: string): Promise<void> {
    this.logger.warn({ importId: claimed.id }, 'activity import failed');
    await this.activity.fail(claimed, reason);
    await this.db.transaction((tx) =>
      this.activity.rollUpMarkedDays(tx, claimed.organizationId, claimed.patientId),
    );
  }
}

/** Connection and lock troubles are worth a retry; a payload that cannot be parsed is not. */
function isTransient(err: unknown): boolean {
  if (err instanceof UnrecoverableError) return false;
  if (err instanceof SyntaxError) return false;
  const code = (err as { code?: string }).code;
  if (typeof code === 'string') return /^(08|40|53|57|58)|^ECONN|^ETIMEDOUT|^EPIPE/.test(code);
  const message = err instanceof Error ? err.message : '';
  return /connection|timeout|terminat/i.test(message);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
