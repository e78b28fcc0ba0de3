import {
  FHIR_SOURCE_SCOPES,
  FHIR_CANONICAL_BASE,
  FHIR_TYPE_SOURCES,
  exerciseCodeSystem,
  exerciseCatalog,
  fhirResourceOf,
  isFhirId,
  LOINC_DAILY_STEPS,
  LOINC_ODI_SCORE,
  LOINC_PAIN_SEVERITY,
  ownCodeSystems,
  readableSources,
  parseDailyStepsObservationId,
  readInstant,
  searchsetBundle,
  type ExerciseCatalog,
  type FhirPatientDataType,
  type FhirSource,
} from '@app/domain';
import {
  CatalogRepository,
  compareFhirKeys,
  FhirRepository,
  type FhirKey,
  type FhirPageQuery,
  type Keyed,
} from '@app/persistence';
import { Clock } from '@app/config';
import { Injectable } from '@nestjs/common';
import type { Bundle, CodeSystem, Group, Resource } from '@medplum/fhirtypes';
import type { Caller } from '../auth/caller';
import { PatientNotVisibleException } from '../audit/audit.service';
import { ProblemException } from '../common/problem';
import { PatientAccessService } from '../patients/patient-access.service';
import {
  decodeFhirCursor,
  encodeFhirCursor,
  FhirBadRequest,
  isUuid,
  parseCount,
  parseSearch,
  type QueryValues,
  type SearchRequest,
} from './fhir-params';

const NOT_FOUND = 'No such resource, or it is not visible to this key';

/** A resource the caller cannot see, or that does not exist: 404, whichever it is. */
export class FhirNotFound extends ProblemException {
  constructor() {
    super(404, NOT_FOUND);
  }
}

/** What a FHIR call touched, for its audit row: the patient, when there is one. */
export interface FhirAudit {
  auditPatientId?: string | null;
}

export const EVERYTHING_SOURCES: readonly FhirSource[] = [
  'patient',
  'program',
  'goal',
  'steps',
  'pain',
  'odi',
  'questionnaire',
  'session',
  'progressionFlag',
  'alert',
  'finding',
];
const EVERYTHING_DEFAULT_COUNT = 500;

/** The FHIR types the API serves, patient data and the rest. */
export const SERVED_TYPES = [...Object.keys(FHIR_TYPE_SOURCES), 'CodeSystem', 'Group'];

/** Reads, searches and $everything, with /v1's visibility (the repository's visibleSql). */
@Injectable()
export class FhirService {
  constructor(
    private readonly clock: Clock,
    private readonly fhir: FhirRepository,
    private readonly catalog: CatalogRepository,
    private readonly access: PatientAccessService,
  ) {}

  /** The sources of `sources` the caller's key has the scopes for (FHIR_SOURCE_SCOPES). */
  static sourcesFor(caller: Caller, sources: readonly FhirSource[]): FhirSource[] {
    return readableSources(caller.scopes, sources);
  }

  /**
   * The sources of a type the caller may read; 403 when it may read none of them (a key without
   * `patients:read` asking for Patient), as the /v1 route of the same records answers.
   */
  private readable(caller: Caller, type: string): FhirSource[] {
    const all = this.sourcesOf(type);
    const sources = FhirService.sourcesFor(caller, all);
    if (sources.length === 0) {
      const scopes = [...new Set(all.map((s) => FHIR_SOURCE_SCOPES[s]))].join(', ');
      throw new ProblemException(
        403,
        `This key may not read ${type} resources (it needs ${scopes})`,
      );
    }
    return sources;
  }

  async exercises(): Promise<ExerciseCatalog> {
    return exerciseCatalog(await this.catalog.exercises());
  }

  /** Every code system of ours: the exercise catalog's and the fixed ones (flags, rules…). */
  async codeSystems(): Promise<CodeSystem[]> {
    return [exerciseCodeSystem([...(await this.exercises()).values()]), ...ownCodeSystems()];
  }

  /** One resource by type and id, or FhirNotFound (also for what the caller may not see). */
  async read(caller: Caller, type: string, id: string, audit: FhirAudit): Promise<Resource> {
    if (!isFhirId(id)) throw new FhirBadRequest(`${id} is not a FHIR id`);
    if (type === 'CodeSystem') {
      const found = (await this.codeSystems()).find((cs) => cs.id === id);
      if (!found) throw new FhirNotFound();
      return found;
    }
    if (type === 'Group') return this.group(caller, id);
    const sources = this.readable(caller, type);
    const exercises = await this.exercises();
    for (const source of sources) {
      if (!this.couldBe(source, id)) continue;
      const row = await this.fhir.byId(source, caller, id);
      const resource = row && fhirResourceOf(source, row, exercises);
      if (row && resource) {
        audit.auditPatientId = row.key.patientId;
        return resource;
      }
    }
    // Not visible, or not there: the same 404, but a row of another patient is audited as a
    // denial naming that patient, as /v1 does.
    for (const source of sources) {
      if (!this.couldBe(source, id)) continue;
      const owner = await this.fhir.ownerOf(source, id);
      if (owner) {
        audit.auditPatientId = owner;
        throw new PatientNotVisibleException(NOT_FOUND);
      }
    }
    throw new FhirNotFound();
  }

  /**
   * A Group: the organization (admins) or a clinician's panel (admins, and the clinician
   * whose panel it is). Apps see no group.
   */
  async group(caller: Caller, id: string): Promise<Group> {
    const found = await this.findGroup(caller, id);
    return {
      resourceType: 'Group',
      id,
      identifier: [{ system: `${FHIR_CANONICAL_BASE}/group`, value: `${found.kind}/${id}` }],
      active: true,
      type: 'person',
      actual: true,
      name:
        found.kind === 'organization'
          ? `All patients of ${found.name}`
          : `Patients of clinician ${found.name}`,
      quantity: found.patients,
    };
  }

  async findGroup(
    caller: Caller,
    id: string,
  ): Promise<{ kind: 'organization' | 'clinician'; name: string; patients: number }> {
    if (!isUuid(id)) throw new FhirNotFound();
    const groupId = id.toLowerCase();
    if (caller.role === 'admin' && groupId === caller.organizationId) {
      const org = await this.fhir.organization(caller.organizationId);
      if (org) return { kind: 'organization', name: org.name, patients: org.patients };
    }
    const mayPanel =
      caller.role === 'admin' || (caller.role === 'clinician' && caller.clinicianId === groupId);
    if (mayPanel) {
      const clinician = await this.fhir.clinician(caller.organizationId, groupId);
      if (clinician) {
        return { kind: 'clinician', name: clinician.name, patients: clinician.patients };
      }
    }
    throw new FhirNotFound();
  }

  /** A search of one type; every type but Patient and CodeSystem within one patient. */
  async search(
    caller: Caller,
    type: string,
    query: QueryValues,
    lenient: boolean,
    links: { base: string },
    audit: FhirAudit,
  ): Promise<Bundle> {
    if (!SERVED_TYPES.includes(type) || type === 'Group') {
      throw new FhirBadRequest(`Searching ${type} is not supported`);
    }
    const request = parseSearch(type, query, lenient);
    // The page's own address: its cursor included, so that following `self` gives this page.
    const selfUrl = this.url(links.base, type, [
      ...request.used,
      ...(request.cursor ? [['_cursor', request.cursor] as [string, string]] : []),
    ]);
    if (type === 'CodeSystem') {
      return searchsetBundle({
        entries: (await this.codeSystems()).filter(
          (cs) => request.url === null || cs.url === request.url,
        ),
        selfUrl,
        baseUrl: links.base,
      });
    }
    const sources = this.readable(caller, type);
    const pageQuery: Omit<FhirPageQuery, 'limit'> = {
      scope: { viewer: caller },
      dates: request.dates,
      descending: request.descending,
      status: request.status ?? undefined,
    };
    if (type === 'Patient') {
      if (request.id) pageQuery.rid = request.id;
      if (request.identifier) {
        const ours = `${FHIR_CANONICAL_BASE}/organization/${caller.organizationId}/patient-ref`;
        if (request.identifier.system !== null && request.identifier.system !== ours) {
          return searchsetBundle({ entries: [], selfUrl, baseUrl: links.base });
        }
        pageQuery.externalRef = request.identifier.value;
      }
    } else {
      if (!request.patientId) {
        throw new FhirBadRequest(`Searching ${type} needs a patient (patient=<id>)`, 'patient');
      }
      // Named before the check, so that a refused search is audited with the patient it named.
      audit.auditPatientId = request.patientId;
      await this.access.findVisible(caller, request.patientId);
      pageQuery.scope = { viewer: caller, patientId: request.patientId };
    }
    const wanted = type === 'Observation' ? this.observationSources(request) : sources;
    const after = request.cursor ? decodeFhirCursor(request.cursor, 1).key : null;
    const page = await this.mergedPage(
      wanted.filter((s) => sources.includes(s)),
      { ...pageQuery, after },
      request.count,
    );
    const exercises = await this.exercises();
    const entries = page.rows
      .map(({ source, row }) => fhirResourceOf(source, row as never, exercises))
      .filter((r): r is Resource => r !== null);
    return searchsetBundle({
      entries,
      selfUrl,
      nextUrl: page.next
        ? this.url(links.base, type, [
            ...request.used,
            ['_cursor', encodeFhirCursor({ source: 0, key: page.next })],
          ])
        : undefined,
      baseUrl: links.base,
    });
  }

  /**
   * Patient/{id}/$everything: the patient and every resource about it, type after type, in pages
   * of `_count` (500 by default) linked by `next`. `_type` narrows the types, `_since` to what
   * changed since an instant.
   */
  async everything(
    caller: Caller,
    patientId: string,
    query: QueryValues,
    lenient: boolean,
    links: { base: string },
    audit: FhirAudit,
  ): Promise<Bundle> {
    if (!isUuid(patientId)) throw new FhirNotFound();
    const used: [string, string][] = [];
    let types: FhirPatientDataType[] | null = null;
    let since: Date | null = null;
    for (const [name, value] of Object.entries(query)) {
      if (Array.isArray(value)) throw new FhirBadRequest(`${name} may be given once`, name);
      if (value === undefined) continue;
      if (name === '_type') types = parseTypes(value);
      else if (name === '_since') since = parseSince(value, this.clock.now());
      else if (name !== '_count' && name !== '_cursor' && name !== '_format') {
        if (lenient) continue;
        throw new FhirBadRequest(`The parameter ${name} is not supported by $everything`, name);
      }
      if (name !== '_cursor') used.push([name, value]);
    }
    const count = parseCount(query._count as string | undefined, 1000, EVERYTHING_DEFAULT_COUNT);
    audit.auditPatientId = patientId.toLowerCase();
    const patient = await this.access.findVisible(caller, patientId);
    const allowed = new Set(FhirService.sourcesFor(caller, EVERYTHING_SOURCES));
    const sources = EVERYTHING_SOURCES.filter(
      (s) =>
        allowed.has(s) &&
        (types === null ||
          types.some((t) => (FHIR_TYPE_SOURCES[t] as readonly FhirSource[]).includes(s))),
    );
    let cursor = query._cursor
      ? decodeFhirCursor(query._cursor as string, sources.length)
      : { source: 0, key: null as FhirKey | null };
    const exercises = await this.exercises();
    const entries: Resource[] = [];
    let next: string | undefined;
    while (cursor.source < sources.length) {
      const source = sources[cursor.source];
      const want = count - entries.length;
      const rows = await this.fhir.page(source, {
        scope: { viewer: caller, patientId: patient.id },
        since,
        after: cursor.key,
        limit: want + 1,
      });
      for (const row of rows.slice(0, want)) {
        const resource = fhirResourceOf(source, row, exercises);
        if (resource) entries.push(resource);
      }
      if (rows.length > want) {
        cursor = { source: cursor.source, key: rows[want - 1]?.key ?? cursor.key };
        next = this.url(links.base, `Patient/${patient.id}/$everything`, [
          ...used,
          ['_cursor', encodeFhirCursor(cursor)],
        ]);
        break;
      }
      cursor = { source: cursor.source + 1, key: null };
      if (entries.length >= count && cursor.source < sources.length) {
        next = this.url(links.base, `Patient/${patient.id}/$everything`, [
          ...used,
          ['_cursor', encodeFhirCursor(cursor)],
        ]);
        break;
      }
    }
    return searchsetBundle({
      entries,
      selfUrl: this.url(links.base, `Patient/${patient.id}/$everything`, [
        ...used,
        ...(typeof query._cursor === 'string'
          ? [['_cursor', query._cursor] as [string, string]]
          : []),
      ]),
      nextUrl: next,
      baseUrl: links.base,
    });
  }

  /**
   * Every resource `$everything` would answer for a patient the caller may see (every type,
   * no `_since`), a page of at most `count` at a time: for a whole record in bounded memory.
   * The caller's visibility was checked by whoever calls (PatientAccessService).
   */
  async *everythingResources(
    caller: Caller,
    patientId: string,
    count = EVERYTHING_DEFAULT_COUNT,
  ): AsyncGenerator<Resource[]> {
    const exercises = await this.exercises();
    for (const source of FhirService.sourcesFor(caller, EVERYTHING_SOURCES)) {
      let after: FhirKey | null = null;
      for (;;) {
        const rows: Keyed<object>[] = await this.fhir.page(source, {
          scope: { viewer: caller, patientId },
          after,
          limit: count,
        });
        const page = rows
          .map((row) => fhirResourceOf(source, row as never, exercises))
          .filter((r): r is Resource => r !== null);
        if (page.length > 0) yield page;
        if (rows.length < count) break;
        after = rows[rows.length - 1].key;
      }
    }
  }

  /** The sources of a served type; an unknown type is a 400 naming it. */
  sourcesOf(type: string): readonly FhirSource[] {
    // Own keys only: `toString` or `constructor` is a property of every object, not a type.
    const sources = Object.hasOwn(FHIR_TYPE_SOURCES, type)
      ? (FHIR_TYPE_SOURCES as Record<string, readonly FhirSource[]>)[type]
      : undefined;
    if (!sources) throw new FhirBadRequest(`The resource type ${type} is not served here`);
    return sources;
  }

  /** Whether an id could be a row of a source (saves a query per source that cannot hold it). */
  private couldBe(source: FhirSource, id: string): boolean {
    if (source === 'steps') return parseDailyStepsObservationId(id) !== null;
    if (source === 'progressionFlag') return !isUuid(id);
    return isUuid(id);
  }

  /** The Observation sources a `code` parameter selects (all of them without one). */
  private observationSources(request: SearchRequest): FhirSource[] {
    const all = FHIR_TYPE_SOURCES.Observation as readonly FhirSource[];
    if (!request.codes) return [...all];
    return all.filter((source) =>
      request.codes!.some(({ system, code }) =>
        OBSERVATION_CODES[source as 'steps' | 'pain' | 'odi'].some(
          (c) => c.code === code && (system === null || system === c.system),
        ),
      ),
    );
  }

  /** A page across sources in key order: each source's next rows, merged. */
  private async mergedPage(
    sources: FhirSource[],
    query: Omit<FhirPageQuery, 'limit'>,
    count: number,
  ): Promise<{ rows: { source: FhirSource; row: Keyed<object> }[]; next: FhirKey | null }> {
    const fetched = await Promise.all(
      sources.map(async (source) =>
        (await this.fhir.page(source, { ...query, limit: count + 1 })).map((row) => ({
          source,
          row: row,
        })),
      ),
    );
    const sign = query.descending ? -1 : 1;
    const merged = fetched.flat().sort((a, b) => sign * compareFhirKeys(a.row.key, b.row.key));
    const rows = merged.slice(0, count);
    return { rows, next: merged.length > count ? rows[rows.length - 1].row.key : null };
  }

  private url(base: string, path: string, params: [string, string][]): string {
    const search = new URLSearchParams(params).toString();
    return `${base}/${path}${search ? `?${search}` : ''}`;
  }
}

/** The codes each Observation source is found by (`code=` search). */
export const OBSERVATION_CODES: Record<
  'steps' | 'pain' | 'odi',
  { system: string; code: string }[]
> = {
  steps: [LOINC_DAILY_STEPS as { system: string; code: string }],
  pain: [LOINC_PAIN_SEVERITY as { system: string; code: string }],
  odi: [LOINC_ODI_SCORE as { system: string; code: string }],
};

/** `_type=Observation,CarePlan`: the patient-data types named, each served. */
export function parseTypes(value: string): FhirPatientDataType[] {
  const types = value.split(',').map((t) => t.trim());
  for (const type of types) {
    if (!Object.hasOwn(FHIR_TYPE_SOURCES, type)) {
      throw new FhirBadRequest(`_type names ${type || 'nothing'}, which is not served`, '_type');
    }
  }
  return [...new Set(types)] as FhirPatientDataType[];
}

/** `_since`: an instant with its offset, not in the future. */
export function parseSince(value: string, now: Date): Date {
  const instant = readInstant(value);
  if (typeof instant === 'string' || value.startsWith('0000')) {
    throw new FhirBadRequest(
      '_since must be an instant with its offset (2026-10-01T00:00:00Z)',
      '_since',
    );
  }
  if (instant.getTime() > now.getTime()) {
    throw new FhirBadRequest('_since is in the future', '_since');
  }
  return instant;
}
