import { AppConfig } from '@app/config';
import { localDateOf, addDays, type ImportFormat } from '@app/domain';
import { ActivityDaily, ActivityImport, ActivitySource, Db, type Tx } from '@app/persistence';
import { importJobOptions, JobQueueService } from '@app/queue';
import { envelopeProblem } from '@app/wearables';
import { Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, randomUUID } from 'node:crypto';
import { Between } from 'typeorm';
import type { Caller } from '../auth/caller';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { IDEMPOTENCY_HEADER, IdempotencyService } from '../idempotency/idempotency.service';
import { MetricsService } from '../metrics/metrics.service';
import { PatientAccessService } from '../patients/patient-access.service';
import type {
  DailyActivityDto,
  DailyQueryDto,
  ImportAcceptedDto,
  ImportStatusDto,
  SourceFreshnessDto,
} from './activity.dto';

// Rows of the payload table: big enough to keep the row count low, small enough to stream.
const CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_DAILY_RANGE_DAYS = 366;
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i;
const XML_TYPE = /^(application|text)\/([\w.+-]+\+)?xml\b/i;

/** Thrown inside the transaction to roll it back when an Idempotency-Key replays. */
class Replay extends Error {
  constructor(readonly body: unknown) {
    super('idempotent replay');
  }
}

@Injectable()
export class ActivityImportsService {
  private readonly logger = new Logger(ActivityImportsService.name);

  constructor(
    private readonly db: Db,
    private readonly config: AppConfig,
    private readonly access: PatientAccessService,
    private readonly jobs: JobQueueService,
    private readonly idempotency: IdempotencyService,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Stores the payload in PostgreSQL (never only in Redis) and queues its import; the job
   * carries the import id only. JSON payloads are checked for their outer shape first; an
   * XML export streams straight into storage in 4 MiB rows.
   */
  async create(
    caller: Caller,
    patientId: string,
    format: ImportFormat,
    req: Request,
  ): Promise<ImportAcceptedDto> {
    const patient = await this.access.findVisible(caller, patientId);
    const xml = format === 'apple-health-xml';
    const contentType = req.headers['content-type'] ?? '';
    if (!(xml ? XML_TYPE : JSON_TYPE).test(contentType)) {
      throw new ProblemException(
        415,
        xml ? 'Send the export as application/xml' : 'Send the payload as application/json',
      );
    }
    const max = xml ? this.config.IMPORT_MAX_BYTES : this.config.IMPORT_JSON_MAX_BYTES;
    if (Number(req.headers['content-length'] ?? 0) > max) {
      throw new ProblemException(413, `An import of this format may be at most ${max} bytes`);
    }
    const key = this.idempotency.keyOf(req.headers[IDEMPOTENCY_HEADER]);
    const importId = randomUUID();
    let accepted: ImportAcceptedDto;
    try {
      accepted = xml
        ? await this.storeStreamed(
            caller,
            patient.organizationId,
            patient.id,
            importId,
            req,
            max,
            key,
          )
        : await this.storeJson(
            caller,
            patient.organizationId,
            patient.id,
            importId,
            format,
            req,
            max,
            key,
          );
    } catch (err) {
      if (err instanceof Replay) {
        req.res?.setHeader('Idempotent-Replayed', 'true');
        return err.body as ImportAcceptedDto;
      }
      throw err;
    }
    await this.enqueue(importId);
    return accepted;
  }

  private async storeJson(
    caller: Caller,
    organizationId: string,
    patientId: string,
    importId: string,
    format: Exclude<ImportFormat, 'apple-health-xml'>,
    req: Request,
    max: number,
    key: string | null,
  ): Promise<ImportAcceptedDto> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max)
        throw new ProblemException(413, `An import of this format may be at most ${max} bytes`);
      parts.push(chunk);
    }
    const payload = Buffer.concat(parts);
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

    const chunks = Math.ceil(payload.length / CHUNK_BYTES);
    const row = [importId, organizationId, patientId, format, payload.length, chunks, caller.keyId];
    if (key === null && chunks === 1) {
      // The common case, one statement: the import and its payload commit together.
      await this.db.manager.query(
        `WITH created AS (
           INSERT INTO activity_imports (id, organization_id, patient_id, format, byte_size, chunk_count, created_by_key_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id)
         INSERT INTO activity_import_chunks (import_id, seq, data) SELECT id, 0, $8 FROM created`,
        [...row, payload],
      );
      return { id: importId, status: 'queued' };
    }
    return this.db.transaction(async (m) => {
      const accepted = await this.claimKey(
        m,
        caller,
        key,
        req,
        createHash('sha256').update(payload).digest(),
      );
      await m.query(
        `INSERT INTO activity_imports (id, organization_id, patient_id, format, byte_size, chunk_count, created_by_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        row,
      );
      for (let seq = 0; seq < chunks; seq++) {
        await m.query(
          `INSERT INTO activity_import_chunks (import_id, seq, data) VALUES ($1, $2, $3)`,
          [importId, seq, payload.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES)],
        );
      }
      return this.accept(m, caller, key, importId, accepted);
    });
  }

  private async storeStreamed(
    caller: Caller,
    organizationId: string,
    patientId: string,
    importId: string,
    req: Request,
    max: number,
    key: string | null,
  ): Promise<ImportAcceptedDto> {
    return this.db.transaction(async (m) => {
      await m.query(
        `INSERT INTO activity_imports (id, organization_id, patient_id, format, byte_size, chunk_count, created_by_key_id)
         VALUES ($1, $2, $3, 'apple-health-xml', 0, 0, $4)`,
        [importId, organizationId, patientId, caller.keyId],
      );
      const hash = createHash('sha256');
      let pending: Buffer[] = [];
      let pendingSize = 0;
      let size = 0;
      let seq = 0;
      const flush = async () => {
        if (pendingSize === 0) return;
        await m.query(
          `INSERT INTO activity_import_chunks (import_id, seq, data) VALUES ($1, $2, $3)`,
          [importId, seq++, Buffer.concat(pending)],
        );
        pending = [];
        pendingSize = 0;
      };
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > max)
          throw new ProblemException(413, `An import of this format may be at most ${max} bytes`);
        hash.update(chunk);
        pending.push(chunk);
        pendingSize += chunk.length;
        if (pendingSize >= CHUNK_BYTES) await flush();
      }
      await flush();
      if (size === 0) throw validationProblem([{ field: 'body', message: 'the export is empty' }]);
      const accepted = await this.claimKey(m, caller, key, req, hash.digest());
      await m.query(`UPDATE activity_imports SET byte_size = $2, chunk_count = $3 WHERE id = $1`, [
        importId,
        size,
        seq,
      ]);
      return this.accept(m, caller, key, importId, accepted);
    });
  }

  /** The Idempotency-Key of an upload is judged on the payload's hash, known only once it is read. */
  private async claimKey(
    tx: Tx,
    caller: Caller,
    key: string | null,
    req: Request,
    payloadHash: Buffer,
  ): Promise<boolean> {
    if (key === null) return false;
    const requestHash = createHash('sha256')
      .update(`POST ${req.originalUrl}\n`)
      .update(payloadHash)
      .digest();
    const claim = await this.idempotency.claim(tx, caller.keyId, key, req.originalUrl, requestHash);
    if (claim.replay) throw new Replay(claim.body);
    return true;
  }

  private async accept(
    tx: Tx,
    caller: Caller,
    key: string | null,
    importId: string,
    claimed: boolean,
  ): Promise<ImportAcceptedDto> {
    const accepted: ImportAcceptedDto = { id: importId, status: 'queued' };
    if (key !== null && claimed)
      await this.idempotency.complete(tx, caller.keyId, key, 202, accepted);
    return accepted;
  }

  /** A failed enqueue loses nothing: the import is stored, and the worker's sweep re-queues it. */
  private async enqueue(importId: string): Promise<void> {
    try {
      await this.jobs.add('activity.import', { importId }, importJobOptions(importId));
    } catch {
      this.logger.warn({ importId }, 'could not queue the import now; the worker sweep will');
    }
  }

  async status(caller: Caller, importId: string): Promise<ImportStatusDto> {
    const found = await this.db.repo(ActivityImport).findOneBy({ id: importId });
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
    const to = query.to ?? localDateOf(new Date(), patient.timezone);
    const from = query.from ?? addDays(to, -29);
    if (from > to) throw validationProblem([{ field: 'from', message: 'must not be after to' }]);
    if (addDays(from, MAX_DAILY_RANGE_DAYS - 1) < to) {
      throw validationProblem([
        { field: 'to', message: `the range may cover at most ${MAX_DAILY_RANGE_DAYS} days` },
      ]);
    }
    const rows = await this.db.repo(ActivityDaily).find({
      where: {
        organizationId: patient.organizationId,
        patientId: patient.id,
        localDate: Between(from, to),
      },
      order: { localDate: 'ASC' },
    });
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

  async sources(caller: Caller, patientId: string): Promise<{ data: SourceFreshnessDto[] }> {
    const patient = await this.access.findVisible(caller, patientId);
    const rows = await this.db.repo(ActivitySource).find({
      where: { organizationId: patient.organizationId, patientId: patient.id },
      order: { name: 'ASC' },
    });
    return {
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
