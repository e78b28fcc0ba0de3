import { AppConfig } from '@app/config';
import { capabilityStatement } from '@app/domain';
import {
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Bundle, CapabilityStatement, Resource } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { Audited } from '../audit/audited.decorator';
import { Access, Public } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ProblemException } from '../common/problem';
import { FhirBadRequest, SEARCH_PARAMETERS, type QueryValues } from './fhir-params';
import { FhirExportService } from './fhir-export.service';
import { FhirNotFound, FhirService, SERVED_TYPES, type FhirAudit } from './fhir.service';
import { FHIR_JSON } from './operation-outcome';

const READERS = ['admin', 'clinician', 'app'] as const;
const VERSION = '0.1.0';

/** The FHIR face's address as clients reach it: configured, or the request's own. */
export function fhirBaseOf(config: AppConfig, req: Request): string {
  return config.FHIR_BASE_URL ?? `${req.protocol}://${req.get('host') ?? 'localhost'}/fhir/R4`;
}

function lenient(req: Request): boolean {
  return /\bhandling=lenient\b/.test(req.get('prefer') ?? '');
}

/**
 * Runs a service call that tells which patient it touched, and hands that patient to the audit
 * row (the interceptor reads `req.auditPatientId`), whether the call succeeds or fails.
 */
async function audited<T>(req: Request, work: (audit: FhirAudit) => Promise<T>): Promise<T> {
  const audit: FhirAudit = {};
  try {
    return await work(audit);
  } finally {
    req.auditPatientId = audit.auditPatientId ?? null;
  }
}

/**
 * Bulk Data status, files and cancellation (`Content-Location` of a kick-off). Declared before
 * FhirController so that `_export/...` is not read as a resource type.
 */
@ApiExcludeController()
@Controller('fhir/R4/_export')
export class FhirExportController {
  constructor(
    private readonly config: AppConfig,
    private readonly exports: FhirExportService,
  ) {}

  @Get(':exportId')
  @Access(READERS, 'records:read')
  @Audited('fhir.export.status', 'none')
  @Header('Content-Type', FHIR_JSON)
  async status(
    @CurrentCaller() caller: Caller,
    @Param('exportId') exportId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Record<string, unknown> | undefined> {
    const status = await this.exports.status(caller, exportId, fhirBaseOf(this.config, req));
    switch (status.state) {
      case 'in-progress':
        res.status(202).setHeader('X-Progress', status.progress);
        res.setHeader('Retry-After', '2');
        return undefined;
      case 'failed':
        // A failed export's status answers 5xx with the reason, as the Bulk Data IG asks.
        throw new ProblemException(500, `The export failed: ${status.message}`);
      case 'complete':
        // The Bulk Data IG serves the manifest as application/json (it is not a FHIR resource).
        res.status(200).setHeader('Expires', status.expires.toUTCString());
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        return status.manifest;
    }
  }

  @Get(':exportId/:file')
  @Access(READERS, 'records:read')
  @Audited('fhir.export.download', 'none')
  async download(
    @CurrentCaller() caller: Caller,
    @Param('exportId') exportId: string,
    @Param('file') file: string,
  ): Promise<StreamableFile> {
    const found = await this.exports.file(caller, exportId, file);
    return new StreamableFile(Readable.from(found.chunks), {
      type: 'application/fhir+ndjson',
      disposition: `attachment; filename="${found.type}.ndjson"`,
    });
  }

  @Delete(':exportId')
  @HttpCode(202)
  @Access(READERS, 'records:read')
  @Audited('fhir.export.cancel', 'none')
  async cancel(
    @CurrentCaller() caller: Caller,
    @Param('exportId') exportId: string,
  ): Promise<void> {
    await this.exports.cancel(caller, exportId);
  }
}

/**
 * The read-only FHIR R4 face (docs/fhir.md): the same keys and visibility as /v1, every call
 * audited, errors as OperationOutcome. Described by its CapabilityStatement (`metadata`), not
 * by the OpenAPI document.
 */
@ApiExcludeController()
@Controller('fhir/R4')
export class FhirController {
  constructor(
    private readonly config: AppConfig,
    private readonly fhir: FhirService,
    private readonly exports: FhirExportService,
  ) {}

  @Get('metadata')
  @Public()
  @Header('Content-Type', FHIR_JSON)
  metadata(@Req() req: Request): CapabilityStatement {
    return capabilityStatement({
      baseUrl: fhirBaseOf(this.config, req),
      version: VERSION,
      resources: SERVED_TYPES.map((type) => ({
        type,
        interactions: type === 'Group' ? ['read'] : ['read', 'search-type'],
        searchParams: (SEARCH_PARAMETERS[type] ?? [])
          .filter((name) => !name.startsWith('_'))
          .map((name) => ({ name, type: SEARCH_PARAM_TYPES[name] ?? 'token' })),
        operations: OPERATIONS[type],
      })),
    });
  }

  @Get(':type')
  @Access(READERS, 'records:read')
  @Audited('fhir.search', 'attached')
  @Header('Content-Type', FHIR_JSON)
  search(
    @CurrentCaller() caller: Caller,
    @Param('type') type: string,
    @Query() query: QueryValues,
    @Req() req: Request,
  ): Promise<Bundle> {
    return audited(req, (audit) =>
      this.fhir.search(
        caller,
        type,
        query,
        lenient(req),
        { base: fhirBaseOf(this.config, req) },
        audit,
      ),
    );
  }

  @Get(':type/:id')
  @Access(READERS, 'records:read')
  @Audited('fhir.read', 'attached')
  @Header('Content-Type', FHIR_JSON)
  async read(
    @CurrentCaller() caller: Caller,
    @Param('type') type: string,
    @Param('id') id: string,
    @Query() query: QueryValues,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Resource | undefined> {
    if (id === '$export') {
      if (type !== 'Patient') throw new FhirNotFound();
      return this.kickOff(caller, null, query, req, res);
    }
    if (id.startsWith('$')) throw new FhirBadRequest(`The operation ${id} is not supported`);
    return audited(req, (audit) => this.fhir.read(caller, type, id, audit));
  }

  @Get(':type/:id/:operation')
  @Access(READERS, 'records:read')
  @Audited('fhir.operation', 'attached')
  @Header('Content-Type', FHIR_JSON)
  async operation(
    @CurrentCaller() caller: Caller,
    @Param('type') type: string,
    @Param('id') id: string,
    @Param('operation') operation: string,
    @Query() query: QueryValues,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Bundle | undefined> {
    if (type === 'Patient' && operation === '$everything') {
      return audited(req, (audit) =>
        this.fhir.everything(
          caller,
          id,
          query,
          lenient(req),
          { base: fhirBaseOf(this.config, req) },
          audit,
        ),
      );
    }
    if (type === 'Group' && operation === '$export') {
      return this.kickOff(caller, id, query, req, res);
    }
    throw new FhirBadRequest(`The operation ${type}/{id}/${operation} is not supported`);
  }

  private async kickOff(
    caller: Caller,
    groupId: string | null,
    query: QueryValues,
    req: Request,
    res: Response,
  ): Promise<undefined> {
    const base = fhirBaseOf(this.config, req);
    const id = await this.exports.kickOff(
      caller,
      groupId,
      query,
      { prefer: req.get('prefer'), accept: req.get('accept') },
      `${base}${req.originalUrl.slice(req.originalUrl.indexOf('/fhir/R4') + '/fhir/R4'.length)}`,
    );
    res.status(202).setHeader('Content-Location', `${base}/_export/${id}`);
    return undefined;
  }
}

/** The operations served, by the canonical of their definition (FHIR R4, Bulk Data IG). */
const OPERATIONS: Record<string, { name: string; definition: string }[]> = {
  Patient: [
    {
      name: 'everything',
      definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
    },
    {
      name: 'export',
      definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export',
    },
  ],
  Group: [
    {
      name: 'export',
      definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export',
    },
  ],
};

const SEARCH_PARAM_TYPES: Record<string, 'token' | 'reference' | 'date' | 'uri'> = {
  patient: 'reference',
  subject: 'reference',
  date: 'date',
  url: 'uri',
  code: 'token',
  status: 'token',
  identifier: 'token',
};
