import { AppConfig } from '@app/config';
import {
  FHIR_TYPE_SOURCES,
  exerciseCatalog,
  fhirResourceOf,
  type ExerciseCatalog,
  type FhirPatientDataType,
  type FhirSource,
} from '@app/domain';
import {
  CatalogRepository,
  Db,
  FhirExportsRepository,
  FhirRepository,
  type FhirExport,
  type FhirExportChunk,
  type FhirKey,
  type Reader,
} from '@app/persistence';
import { fhirExportJob, JobQueueService, type JobPayloads } from '@app/queue';
import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { Job } from 'bullmq';
import { OnJob } from '../jobs/on-job.decorator';

/** Rows read per statement while an export walks a source. */
const PAGE_ROWS = 2000;
/** A chunk of a file is cut once it holds this much NDJSON. */
const CHUNK_BYTES = 1024 * 1024;
const SWEEP_EVERY_MS = 30_000;
/** Times the sweep queues a stalled export again before failing it. */
export const MAX_REQUEUES = 3;
const EXPIRED_SWEEP_EVERY_MS = 10 * 60_000;

/** One file's NDJSON for a batch, appended in chunks of about CHUNK_BYTES as it grows. */
class FileWriter {
  private lines: string[] = [];
  private bytes = 0;

  constructor(
    private readonly type: string,
    private readonly append: (chunk: FhirExportChunk) => Promise<void>,
  ) {}

  add(json: string): void {
    this.lines.push(json);
    this.bytes += json.length + 1;
  }

  /** Appends what is held once it is a chunk's worth (everything with `force`). */
  async flush(force = false): Promise<void> {
    if (this.lines.length === 0 || (!force && this.bytes < CHUNK_BYTES)) return;
    const chunk = {
      type: this.type,
      resources: this.lines.length,
      data: `${this.lines.join('\n')}\n`,
    };
    this.lines = [];
    this.bytes = 0;
    await this.append(chunk);
  }
}

/**
 * Writes a Bulk Data export's files: patient batch after patient batch (in id order), every
 * requested type of the batch's patients read by keyset and written as NDJSON chunks, which
 * commit with the export's progress in one transaction. Memory holds a page of rows and a chunk
 * of a file; a job resumed after a crash starts after the last committed patient, so every
 * resource is written once.
 */
@Injectable()
export class FhirExportProcessor {
  private readonly logger = new Logger(FhirExportProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly db: Db,
    private readonly exports: FhirExportsRepository,
    private readonly fhir: FhirRepository,
    private readonly catalog: CatalogRepository,
    private readonly jobs: JobQueueService,
  ) {}

  @OnJob('fhir.export')
  async run({ exportId }: JobPayloads['fhir.export'], job: Job): Promise<{ status: string }> {
    try {
      const started = await this.exports.start(exportId, () => this.countPatients(exportId));
      if (!started) return { status: 'skipped' };
      return { status: await this.write(started) };
    } catch (err) {
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        const kind = err instanceof Error ? err.constructor.name : typeof err;
        await this.exports.finish(
          exportId,
          `the files could not be written (${kind}, after ${job.attemptsMade + 1} attempts)`,
          this.config.FHIR_EXPORT_LIFETIME_MS,
        );
      }
      throw err;
    }
  }

  private async countPatients(exportId: string): Promise<number> {
    const found = await this.exports.find(exportId, null);
    if (!found) return 0;
    return this.fhir.countExportPatients(found.viewer, clinicianOf(found));
  }

  private async write(found: FhirExport): Promise<string> {
    const exercises = await this.exercises();
    const plan = this.plan(found);
    // The records are read from the read replica once it has replayed everything committed
    // before this job began, the kick-off included (docs/read-replica.md), so an export misses
    // nothing made before its transactionTime; until then, from the primary. The reads are not
    // part of the batch's transaction: they read the records, it writes the files.
    const reads = await this.db.replicaReaderCaughtUp();
    let after = found.afterPatientId;
    for (;;) {
      const patients = await this.fhir.exportPatients(
        found.viewer,
        clinicianOf(found),
        after,
        this.config.FHIR_EXPORT_BATCH_PATIENTS,
        reads,
      );
      if (patients.length === 0) break;
      const last = patients[patients.length - 1];
      // The batch in one transaction: its progress first (the export row stays locked, so a
      // cancel or a second runner waits), then its chunks as they fill. A crash rolls it all back.
      const committed = await this.db.transaction(async (tx) => {
        if (!(await this.exports.advance(tx, found.id, after, last, patients.length))) {
          return false;
        }
        for (const { type, sources } of plan) {
          const file = new FileWriter(type, (chunk) => this.exports.appendChunk(tx, found, chunk));
          for (const source of sources) {
            await this.writeSource(found, source, patients, exercises, file, reads);
          }
          await file.flush(true);
        }
        return true;
      });
      // Cancelled, expired, or another runner took this batch: stop without writing.
      if (!committed) return 'stopped';
      after = last;
      if (this.config.FHIR_EXPORT_BATCH_PAUSE_MS > 0) {
        await new Promise((r) => setTimeout(r, this.config.FHIR_EXPORT_BATCH_PAUSE_MS));
      }
    }
    await this.exports.finish(found.id, null, this.config.FHIR_EXPORT_LIFETIME_MS);
    return 'completed';
  }

  private async writeSource(
    found: FhirExport,
    source: FhirSource,
    patients: string[],
    exercises: ExerciseCatalog,
    file: FileWriter,
    reads: Reader,
  ): Promise<void> {
    let key: FhirKey | null = null;
    for (;;) {
      const rows: { key: FhirKey }[] = await this.fhir.page(
        source,
        {
          scope: { viewer: found.viewer, patientIds: patients },
          since: found.since,
          after: key,
          limit: PAGE_ROWS,
        },
        reads,
      );
      for (const row of rows) {
        const resource = fhirResourceOf(source, row as never, exercises);
        if (resource) file.add(JSON.stringify(resource));
      }
      await file.flush();
      if (rows.length < PAGE_ROWS) return;
      key = rows[rows.length - 1].key;
    }
  }

  /** The files to write, each with its sources (those the key's scopes allowed at the kick-off). */
  private plan(found: FhirExport): { type: string; sources: FhirSource[] }[] {
    return found.types.map((type) => ({
      type,
      sources: (FHIR_TYPE_SOURCES[type as FhirPatientDataType] as readonly FhirSource[]).filter(
        (s) => found.sources.includes(s),
      ),
    }));
  }

  private async exercises(): Promise<ExerciseCatalog> {
    return exerciseCatalog(await this.catalog.exercises());
  }

  /**
   * Queues exports whose job was lost: Redis away at the kick-off, or a worker that died more
   * often than BullMQ takes a stalled job over. An export waiting or running, unmoved for two
   * lock periods, whose current job (by its id) is no longer on its way, is queued again and the
   * re-queue counted; after MAX_REQUEUES it fails instead, so that its client learns it and its
   * place under the organization's limit is freed. An export waiting behind others is left be.
   */
  @Interval(SWEEP_EVERY_MS)
  async sweep(): Promise<number> {
    const stale = await this.exports.unfinished(2 * this.config.JOB_LOCK_MS, 100);
    let queued = 0;
    try {
      for (const { id, requeues } of stale) {
        if (await this.jobs.isPending('fhir.export', fhirExportJob(id, requeues).jobId)) continue;
        if (requeues >= MAX_REQUEUES) {
          await this.exports.finish(
            id,
            `the export stalled ${requeues + 1} times`,
            this.config.FHIR_EXPORT_LIFETIME_MS,
          );
          continue;
        }
        const counted = await this.exports.requeue(id, requeues, MAX_REQUEUES);
        if (counted === null) continue;
        const job = fhirExportJob(id, counted);
        await this.jobs.add('fhir.export', job.payload, { jobId: job.jobId, ...job.options });
        queued++;
      }
    } catch (err) {
      // Redis away (or the database): the next sweep tries again; nothing was counted for it.
      const errorClass = err instanceof Error ? err.constructor.name : typeof err;
      this.logger.warn({ errorClass }, 'cannot sweep stalled exports now; will retry');
    }
    return queued;
  }

  /** Deletes expired exports and their files. */
  @Interval(EXPIRED_SWEEP_EVERY_MS)
  async purgeExpired(): Promise<number> {
    return this.exports.deleteExpired(1000);
  }
}

function clinicianOf(found: FhirExport): string | null {
  return found.groupKind === 'clinician' ? found.groupId : null;
}
