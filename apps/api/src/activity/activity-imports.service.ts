import { AppConfig, Clock } from '@app/config';
import { addDays, type ImportFormat, localDateOf } from '@app/domain';
import {
  ActivityRepository,
  ConnectionsRepository,
  Db,
  DuplicateSampleError,
  type Executor,
  type Tx,
} from '@app/persistence';
import { importJobOptions, JobQueueService, rollupJob } from '@app/queue';
import { checkedBatch, envelopeProblem, nativeBatchOf } from '@app/wearables';
import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { Caller } from '../auth/caller';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { IdempotencyService, idempotencyScope } from '../idempotency/idempotency.service';
import { MetricsService } from '../metrics/metrics.service';
import { PatientAccessService } from '../patients/patient-access.service';
import type {
  DailyActivityDto,
  DailyQueryDto,
  ImportAcceptedDto,
  ImportStatusDto,
  SourcesDto,
} from './activity.dto';

// Rows of the payload table: big enough to keep the row count low, small enough to stream.
const CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_DAILY_RANGE_DAYS = 366;
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i;
const XML_TYPE = /^(application|text)\/([\w.+-]+\+)?xml\b/i;

/** An upload as the controller hands it over: what the headers said, and the body's bytes. */
export interface ImportUpload {
  contentType: string;
  contentLength: number | null;
  /** The Idempotency-Key header as sent (repeated: an array, which is refused). */
  idempotencyKey: string | string[] | null;
  /** The request's path and query: an Idempotency-Key guards this exact request. */
  path: string;
  body: AsyncIterable<Buffer>;
}

export interface ImportAnswer {
  body: ImportAcceptedDto;
  /** The stored answer of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/** Thrown inside the transaction to roll it back when an Idempotency-Key replays. */
class Replay extends Error {
  constructor(readonly body: ImportAcceptedDto) {
    super('idempotent replay');
  }
}

@Injectable()
export class ActivityImportsService {
  private readonly logger = new Logger(ActivityImportsService.name);

  constructor(
    private readonly db: Db,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly access: PatientAccessService,
    private readonly activity: ActivityRepository,
    private readonly jobs: JobQueueService,
    private readonly connections: ConnectionsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * A native batch (our own format: at most 10,000 samples) is checked and written in the
   * request, in one statement, and answered `completed`; its days are rolled up by the worker a
   * moment later. Every other format is stored in PostgreSQL (never only in Redis) and its
   * import queued (`queued`); the job carries the import id only. JSON payloads are checked for
   * their outer shape first; an XML export streams straight into storage in 4 MiB rows.
   */
  async create(
    caller: Caller,
    patientId: string,
    format: ImportFormat,
    upload: ImportUpload,
  ): Promise<ImportAnswer> {
    const patient = await this.access.findVisible(caller, patientId);
    const xml = format === 'apple-health-xml';
    if (!(xml ? XML_TYPE : JSON_TYPE).test(upload.contentType)) {
      throw new ProblemException(
        415,
        xml ? 'Send the export as application/xml' : 'Send the payload as application/json',
      );
    }
    const max = xml ? this.config.IMPORT_MAX_BYTES : this.config.IMPORT_JSON_MAX_BYTES;
    if ((upload.contentLength ?? 0) > max) throw tooLarge(max);
    const key = this.idempotency.keyOf(upload.idempotencyKey ?? undefined);
    const target = {
      id: randomUUID(),
      organizationId: patient.organizationId,
      patientId: patient.id,
      timezone: patient.timezone,
      createdByKeyId: caller.keyId,
    };
    try {
      if (xml) {
        const body = await this.storeStreamed(caller, target, upload, max, key);
        await this.enqueue(target.id);
        return { body, replayed: false };
      }
      const payload = await readWhole(upload.body, max);
      const parsed = this.checkEnvelope(format, payload);
      if (format === 'native') {
        const body = await this.writeNative(caller, target, payload, parsed, upload, key);
        await this.enqueueRollup(target.organizationId, target.patientId);
        return { body, replayed: false };
      }
      const body = await this.storeJson(caller, { ...target, format }, payload, upload, key);
      await this.enqueue(target.id);
      return { body, replayed: false };
    } catch (err) {
      if (err instanceof Replay) return { body: err.body, replayed: true };
      throw err;
    }
  }

  private checkEnvelope(
    format: Exclude<ImportFormat, 'apple-health-xml'>,
    payload: Buffer,
  ): unknown {
    const stopTimer = this.metrics.importValidation.startTimer({ format });
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      throw new ProblemException(400, 'The payload is not valid JSON');
    }
    const problem = envelopeProblem(format, body);
    stopTimer();
    if (problem) throw validationProblem([{ field: 'body', message: problem }]);
    return body;
  }

  /**
   * A native batch, written at once: every sample checked as the worker checks it, then the
   * import (complete, with its counts and a reason per refused sample), its samples, days and
   * sources in one statement. A batch holding a sample already stored (a replay) is written
   * again skipping stored samples.
   */
  private async writeNative(
    caller: Caller,
    target: { id: string; organizationId: string; patientId: string; timezone: string },
    payload: Buffer,
    parsed: unknown,
    upload: ImportUpload,
    key: string | null,
  ): Promise<ImportAcceptedDto> {
    const now = this.clock.now();
    const batch = checkedBatch(nativeBatchOf(parsed), now);
    const received = batch.samples.length + batch.rejections.length;
    const rejections = batch.rejections.map(({ index, line, reason }) => ({
      ...(index !== undefined ? { index } : {}),
      ...(line !== undefined ? { line } : {}),
      reason,
    }));
    const imp = {
      ...target,
      receivedAt: now,
      format: 'native' as const,
      byteSize: payload.length,
      createdByKeyId: caller.keyId,
    };
    const write = (on: Executor, skipStored: boolean) =>
      this.activity.writeInline(
        on,
        imp,
        { samples: batch.samples, retractions: [] },
        { received, rejections },
        skipStored,
      );
    const accepted: ImportAcceptedDto = { id: target.id, status: 'completed' };
    const run = (skipStored: boolean) =>
      key === null
        ? write(this.db.current, skipStored).then(() => accepted)
        : this.db.transaction(async (tx) => {
            await this.claimKey(tx, caller, key, upload.path, sha256(payload));
            await write(tx, skipStored);
            await this.idempotency.complete(tx, idempotencyScope(caller), key, 202, accepted);
            return accepted;
          });
    try {
      return await run(false);
    } catch (err) {
      if (!(err instanceof DuplicateSampleError)) throw err;
      return run(true);
    }
  }

  private async storeJson(
    caller: Caller,
    target: {
      id: string;
      organizationId: string;
      patientId: string;
      format: ImportFormat;
      createdByKeyId: string;
    },
    payload: Buffer,
    upload: ImportUpload,
    key: string | null,
  ): Promise<ImportAcceptedDto> {
    const accepted: ImportAcceptedDto = { id: target.id, status: 'queued' };
    if (key === null) {
      await this.activity.storeImport(this.db.current, target, payload, CHUNK_BYTES);
      return accepted;
    }
    return this.db.transaction(async (tx) => {
      await this.claimKey(tx, caller, key, upload.path, sha256(payload));
      await this.activity.storeImport(tx, target, payload, CHUNK_BYTES);
      await this.idempotency.complete(tx, idempotencyScope(caller), key, 202, accepted);
      return accepted;
    });
  }

  private async storeStreamed(
    caller: Caller,
    target: { id: string; organizationId: string; patientId: string; createdByKeyId: string },
    upload: ImportUpload,
    max: number,
    key: string | null,
  ): Promise<ImportAcceptedDto> {
    return this.db.transaction(async (tx) => {
      await this.activity.openStreamed(tx, { ...target, format: 'apple-health-xml' });
      const hash = createHash('sha256');
      let pending: Buffer[] = [];
      let pendingSize = 0;
      let size = 0;
      let seq = 0;
      const flush = async () => {
        if (pendingSize === 0) return;
        await this.activity.storeChunk(tx, target, seq++, Buffer.concat(pending));
        pending = [];
        pendingSize = 0;
      };
      for await (const chunk of upload.body) {
        size += chunk.length;
        if (size > max) throw tooLarge(max);
        hash.update(chunk);
        pending.push(chunk);
        pendingSize += chunk.length;
        if (pendingSize >= CHUNK_BYTES) await flush();
      }
      await flush();
      if (size === 0) throw validationProblem([{ field: 'body', message: 'the export is empty' }]);
      const accepted: ImportAcceptedDto = { id: target.id, status: 'queued' };
      if (key !== null) await this.claimKey(tx, caller, key, upload.path, hash.digest());
      await this.activity.sealStreamed(tx, target, size, seq);
      if (key !== null)
        await this.idempotency.complete(tx, idempotencyScope(caller), key, 202, accepted);
      return accepted;
    });
  }

  /**
   * The Idempotency-Key of an upload is judged on the payload's hash, known only once it is read; a replay rolls the transaction back and answers the stored body.
   */
  private async claimKey(
    tx: Tx,
    caller: Caller,
    key: string,
    path: string,
    payloadHash: Buffer,
  ): Promise<void> {
    const requestHash = createHash('sha256').update(`POST ${path}\n`).update(payloadHash).digest();
    const claim = await this.idempotency.claim(
      tx,
      idempotencyScope(caller),
      key,
      path,
      requestHash,
    );
    if (claim.replay) throw new Replay(claim.body as ImportAcceptedDto);
  }

  /** A failed enqueue loses nothing: the import is stored, and the worker's sweep re-queues it. */
  private async enqueue(importId: string): Promise<void> {
    try {
      await this.jobs.add('activity.import', { importId }, importJobOptions(importId));
    } catch {
      this.logger.warn({ importId }, 'could not queue the import now; the worker sweep will');
    }
  }

  /** Nor does a failed rollup job: the worker's sweep rolls marked days up within a minute. */
  private async enqueueRollup(organizationId: string, patientId: string): Promise<void> {
    const job = rollupJob(organizationId, patientId);
    try {
      await this.jobs.add('activity.rollup', job.payload, { jobId: job.jobId, ...job.options });
    } catch {
      this.logger.warn('could not queue a rollup now; the worker sweep will');
    }
  }

  async status(caller: Caller, importId: string): Promise<ImportStatusDto> {
    const found = await this.activity.importById(importId);
    if (!found) throw notFound('activity import');
    await this.access.findVisible(caller, found.patientId);
    return {
      id: found.id,
      patientId: found.patientId,
      format: found.format,
      status: found.status,
      received: found.received,
      inserted: found.inserted,
      duplicates: found.duplicates,
      updated: found.updated,
      rejected: found.rejected,
      painReports: found.painReports,
      errors: found.errors,
      failureReason: found.failureReason,
      createdAt: found.createdAt,
      startedAt: found.startedAt,
      completedAt: found.completedAt,
    };
  }

  async daily(
    caller: Caller,
    patientId: string,
    query: DailyQueryDto,
  ): Promise<{ data: DailyActivityDto[] }> {
    const patient = await this.access.findVisible(caller, patientId);
    const to = query.to ?? localDateOf(this.clock.now(), patient.timezone);
    const from = query.from ?? addDays(to, -29);
    if (from > to) throw validationProblem([{ field: 'from', message: 'must not be after to' }]);
    if (addDays(from, MAX_DAILY_RANGE_DAYS - 1) < to) {
      throw validationProblem([
        { field: 'to', message: `the range may cover at most ${MAX_DAILY_RANGE_DAYS} days` },
      ]);
    }
    const rows = await this.activity.daily(patient.organizationId, patient.id, from, to);
    return {
      data: rows.map((r) => ({
        date: r.localDate,
        steps: r.steps,
        activeMinutes: r.activeMinutes,
        manualSteps: r.manualSteps,
        sources: r.sources,
      })),
    };
  }

  async sources(caller: Caller, patientId: string): Promise<SourcesDto> {
    const patient = await this.access.findVisible(caller, patientId);
    const rows = await this.activity.sources(patient.organizationId, patient.id);
    const connections = await this.connections.forPatient(patient.organizationId, patient.id);
    return {
      connections: connections
        .filter((c) => c.status !== 'revoked')
        .map(({ id, provider, status, lastSyncAt, lastError }) => ({
          id,
          provider,
          status,
          lastSyncAt,
          lastError,
        })),
      data: rows.map(({ name, device, account, lastSampleEnd, lastImportAt }) => ({
        name,
        device,
        ...(account !== null ? { account } : {}),
        lastSampleEnd,
        lastImportAt,
      })),
    };
  }
}

const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

function tooLarge(max: number): ProblemException {
  return new ProblemException(413, `An import of this format may be at most ${max} bytes`);
}

/** A JSON payload whole (a day or a push, never gigabytes), refused past `max` bytes. */
async function readWhole(body: AsyncIterable<Buffer>, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw tooLarge(max);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
