import { Clock } from '@app/config';
import { searchsetEntry, type Scope } from '@app/domain';
import { PatientExportRepository, type Patient, type PatientExportSection } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { ProblemException } from '../common/problem';
import { FhirService } from '../fhir/fhir.service';
import { PatientAccessService } from '../patients/patient-access.service';
import { toPatientDto } from '../patients/patients.service';

/**
 * An export is the whole record or nothing: the key must hold every scope that reads a part of
 * it through its own route (an admin key does unless it was created with fewer).
 */
export const EXPORT_SCOPES: readonly Scope[] = [
  'patients:read',
  'programs:read',
  'records:read',
  'alerts:read',
  'care:read',
];

/** Rows per statement; samples are small and many. */
const PAGE_ROWS = 1000;
const SAMPLE_PAGE_ROWS = 5000;
const FHIR_PAGE_RESOURCES = 500;

/**
 * Everything the organization holds about a patient, as one JSON document (PatientExportDto)
 * written as it is read: section after section, a page of rows at a time, then the FHIR
 * `$everything` Bundle, so that years of minute samples go out in bounded memory. It is not one
 * snapshot: a record written while the export runs may show in a later section only.
 */
@Injectable()
export class PatientExportService {
  constructor(
    private readonly rows: PatientExportRepository,
    private readonly access: PatientAccessService,
    private readonly fhir: FhirService,
    private readonly clock: Clock,
  ) {}

  /** The export of a patient the caller may see (404 otherwise), as text chunks of its JSON. */
  async export(
    caller: Caller,
    patientId: string,
    fhirBase: string,
  ): Promise<AsyncIterable<string>> {
    const missing = EXPORT_SCOPES.filter((s) => !caller.scopes.includes(s));
    if (missing.length > 0) {
      throw new ProblemException(
        403,
        `An export holds the whole record: this key lacks ${missing.join(', ')}`,
      );
    }
    const patient = await this.access.findVisible(caller, patientId);
    return this.document(caller, patient, fhirBase);
  }

  private async *document(
    caller: Caller,
    patient: Patient,
    fhirBase: string,
  ): AsyncIterable<string> {
    const list = (section: PatientExportSection, pageRows = PAGE_ROWS) =>
      this.list(caller.organizationId, patient.id, section, pageRows);
    const one = (section: PatientExportSection) =>
      this.one(caller.organizationId, patient.id, section);
    yield `{"version":1,"exportedAt":${JSON.stringify(this.clock.now())}`;
    yield `,"patient":${JSON.stringify(toPatientDto(patient))}`;
    yield `,"enrollments":`;
    yield* list('enrollments');
    yield `,"programs":`;
    yield* list('programs');
    yield `,"sessions":`;
    yield* list('sessions');
    yield `,"painReports":`;
    yield* list('painReports');
    yield `,"questionnaires":`;
    yield* list('questionnaires');
    yield `,"findings":`;
    yield* list('findings');
    yield `,"alerts":`;
    yield* list('alerts');
    yield `,"activity":{"imports":`;
    yield* list('activityImports');
    yield `,"sources":`;
    yield* list('activitySources');
    yield `,"daily":`;
    yield* list('activityDaily');
    yield `,"samples":`;
    yield* list('activitySamples', SAMPLE_PAGE_ROWS);
    yield `},"adherence":{"weeks":`;
    yield* list('adherenceWeeks');
    yield `,"progress":${await one('progress')}`;
    yield `},"remoteMonitoring":{"episodes":`;
    yield* list('rtmEpisodes');
    yield `,"careTime":`;
    yield* list('careTime');
    yield `},"worklist":${await one('worklist')}`;
    yield `,"connections":`;
    yield* list('connections');
    yield `,"audit":`;
    yield* list('audit');
    yield `,"fhir":`;
    yield* this.fhirBundle(caller, patient.id, fhirBase);
    yield '}';
  }

  /** A section as a JSON array, a page per chunk. */
  private async *list(
    organizationId: string,
    patientId: string,
    section: PatientExportSection,
    pageRows: number,
  ): AsyncIterable<string> {
    let after: string[] | null = null;
    let first = true;
    yield '[';
    do {
      const page = await this.rows.page(section, organizationId, patientId, after, pageRows);
      if (page.rows.length > 0) {
        yield `${first ? '' : ','}${page.rows.map((row) => JSON.stringify(row)).join(',')}`;
        first = false;
      }
      after = page.after;
    } while (after);
    yield ']';
  }

  /** A section that holds one row at most, as JSON (null without one). */
  private async one(
    organizationId: string,
    patientId: string,
    section: PatientExportSection,
  ): Promise<string> {
    const { rows } = await this.rows.page(section, organizationId, patientId, null, 1);
    return JSON.stringify(rows[0] ?? null);
  }

  /** `$everything` as one searchset Bundle, unpaged: its entries written a page at a time. */
  private async *fhirBundle(
    caller: Caller,
    patientId: string,
    base: string,
  ): AsyncIterable<string> {
    const head = {
      resourceType: 'Bundle',
      type: 'searchset',
      link: [{ relation: 'self', url: `${base}/Patient/${patientId}/$everything` }],
    };
    yield `${JSON.stringify(head).slice(0, -1)},"entry":[`;
    let first = true;
    for await (const page of this.fhir.everythingResources(
      caller,
      patientId,
      FHIR_PAGE_RESOURCES,
    )) {
      const entries = page.map((r) => JSON.stringify(searchsetEntry(base, r)));
      yield `${first ? '' : ','}${entries.join(',')}`;
      first = false;
    }
    yield ']}';
  }
}
