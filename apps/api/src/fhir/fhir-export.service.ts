import { AppConfig, Clock } from '@app/config';
import { FHIR_PATIENT_DATA_TYPES, FHIR_TYPE_SOURCES, type FhirPatientDataType } from '@app/domain';
import { FhirExportsRepository, type FhirExport } from '@app/persistence';
import { fhirExportJob, JobQueueService } from '@app/queue';
import { Injectable, Logger } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { ProblemException } from '../common/problem';
import { FhirBadRequest, isUuid, type QueryValues } from './fhir-params';
import { FhirNotFound, FhirService, parseSince, parseTypes } from './fhir.service';

/** Too many exports of the organization at once: 429 with Retry-After. */
export class FhirTooManyExports extends ProblemException {
  constructor(retryAfterSeconds: number) {
    super(429, 'This organization already has as many exports under way as it may have at once', {
      retryAfterSeconds,
    });
  }
}

/** The answer to a status poll, as the Bulk Data IG lays it out. */
export type FhirExportStatus =
  | { state: 'in-progress'; progress: string }
  | { state: 'complete'; expires: Date; manifest: Record<string, unknown> }
  | { state: 'failed'; message: string };

const NDJSON_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];
const FILE_NAME = /^([A-Za-z]+)\.ndjson$/;
const CHUNKS_PER_READ = 8;

/**
 * Bulk Data Access (HL7 Bulk Data IG, the asynchronous request pattern): the kick-off records
 * the export and queues its job; the worker writes the files (apps/worker's FhirExportProcessor);
 * the status URL, the files and the DELETE answer only to the key that asked.
 */
@Injectable()
export class FhirExportService {
  private readonly logger = new Logger(FhirExportService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly exports: FhirExportsRepository,
    private readonly jobs: JobQueueService,
    private readonly fhir: FhirService,
  ) {}

  /** Patient/$export (group null) or Group/{id}/$export; answers the export's id. */
  async kickOff(
    caller: Caller,
    groupId: string | null,
    query: QueryValues,
    headers: { prefer?: string; accept?: string },
    requestUrl: string,
  ): Promise<string> {
    const lenient = /\bhandling=lenient\b/.test(headers.prefer ?? '');
    if (!/\brespond-async\b/.test(headers.prefer ?? '')) {
      throw new FhirBadRequest('A Bulk Data export needs the header Prefer: respond-async');
    }
    if (headers.accept && !/application\/fhir\+json|\*\/\*/.test(headers.accept)) {
      throw new FhirBadRequest('A Bulk Data kick-off accepts application/fhir+json');
    }
    let types: FhirPatientDataType[] | null = null;
    let since: Date | null = null;
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) throw new FhirBadRequest(`${name} may be given once`, name);
      if (name === '_type') types = parseTypes(value);
      else if (name === '_since') since = parseSince(value, this.clock.now());
      else if (name === '_outputFormat') {
        if (!NDJSON_FORMATS.includes(value)) {
          throw new FhirBadRequest('_outputFormat may only be application/fhir+ndjson', name);
        }
      } else if (!lenient) {
        throw new FhirBadRequest(`The parameter ${name} is not supported by $export`, name);
      }
    }
    // The types the key may read (each with at least one source its scopes allow); asking for
    // one it may not is a 400 naming it.
    const readable = (type: FhirPatientDataType) =>
      FhirService.sourcesFor(caller, FHIR_TYPE_SOURCES[type]).length > 0;
    const refused = types?.filter((t) => !readable(t)) ?? [];
    if (refused.length > 0) {
      throw new FhirBadRequest(`This key may not read ${refused.join(', ')} resources`, '_type');
    }
    const all = FHIR_PATIENT_DATA_TYPES.filter(readable);
    const sources = FhirService.sourcesFor(caller, Object.values(FHIR_TYPE_SOURCES).flat());
    let group: { kind: 'organization' | 'clinician'; id: string } | null = null;
    if (groupId !== null) {
      const found = await this.fhir.findGroup(caller, groupId);
      group = { kind: found.kind, id: groupId.toLowerCase() };
    }
    const created = await this.exports.create(
      {
        organizationId: caller.organizationId,
        apiKeyId: caller.keyId,
        viewer: caller,
        groupKind: group?.kind ?? null,
        groupId: group?.id ?? null,
        types: types ?? all,
        sources,
        since,
        requestUrl,
      },
      this.config.FHIR_EXPORTS_PER_ORGANIZATION,
      this.config.FHIR_EXPORT_LIFETIME_MS,
    );
    if (!created) throw new FhirTooManyExports(60);
    try {
      const job = fhirExportJob(created.id);
      await this.jobs.add('fhir.export', job.payload, { jobId: job.jobId, ...job.options });
    } catch {
      // Stored: the worker's sweep queues it once Redis is back.
      this.logger.warn({ exportId: created.id }, 'export stored but not queued; the sweep will');
    }
    return created.id;
  }

  async status(caller: Caller, id: string, base: string): Promise<FhirExportStatus> {
    const found = await this.find(caller, id);
    if (found.status === 'failed') return { state: 'failed', message: found.error ?? 'failed' };
    if (found.status !== 'completed') {
      // Patients added while it runs are exported too: the count can pass the first total.
      const total =
        found.patientsTotal === null ? null : Math.max(found.patientsTotal, found.patientsDone);
      const progress =
        total === null
          ? 'queued'
          : `${found.patientsDone} of ${total} patients (${total ? Math.floor((100 * found.patientsDone) / total) : 100}%)`;
      return { state: 'in-progress', progress };
    }
    const files = await this.exports.files(found);
    return {
      state: 'complete',
      expires: found.expiresAt,
      manifest: {
        transactionTime: found.transactionTime.toISOString(),
        request: found.requestUrl,
        requiresAccessToken: true,
        output: files.map((f) => ({
          type: f.type,
          url: `${base}/_export/${found.id}/${f.type}.ndjson`,
          count: f.resources,
        })),
        deleted: [],
        error: [],
      },
    };
  }

  /** A file of a finished export, chunk by chunk (a few chunks in memory at a time). */
  async file(
    caller: Caller,
    id: string,
    name: string,
  ): Promise<{ type: string; chunks: AsyncIterable<string> }> {
    const found = await this.find(caller, id);
    const type = FILE_NAME.exec(name)?.[1];
    if (found.status !== 'completed' || !type || !found.types.includes(type)) {
      throw new FhirNotFound();
    }
    const exports = this.exports;
    async function* chunks(): AsyncIterable<string> {
      let after = 0;
      for (;;) {
        const page = await exports.chunks(found, type!, after, CHUNKS_PER_READ);
        for (const chunk of page) yield chunk.data;
        if (page.length < CHUNKS_PER_READ) break;
        after = page[page.length - 1].seq;
      }
      // Cancelled (or expired) while it was read: the file may lack its end, so the answer
      // must not end as if whole. The stream fails and the connection is cut.
      if (!(await exports.find(found.id, caller.keyId))) {
        throw new Error('the export was deleted while its file was read');
      }
    }
    return { type, chunks: chunks() };
  }

  async cancel(caller: Caller, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.exports.delete(id, caller.keyId))) throw new FhirNotFound();
  }

  private async find(caller: Caller, id: string): Promise<FhirExport> {
    const found = isUuid(id) ? await this.exports.find(id, caller.keyId) : null;
    if (!found) throw new FhirNotFound();
    return found;
  }
}
