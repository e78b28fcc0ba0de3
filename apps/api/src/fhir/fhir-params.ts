import { isFhirId, readCalendarDate, readInstant, readWrittenTime } from '@app/domain';
import type { FhirDateBound, FhirKey } from '@app/persistence';
import { ProblemException } from '../common/problem';

/**
 * A request the FHIR face refuses: a 400, which the error filter writes as an OperationOutcome
 * naming the parameter at fault (issue.expression).
 */
export class FhirBadRequest extends ProblemException {
  constructor(message: string, parameter?: string) {
    super(400, message, parameter ? { errors: [{ field: parameter, message }] } : {});
  }
}

export type QueryValues = Record<string, string | string[] | undefined>;

/** The search parameters each type takes, beyond the common ones (`_count`, `_cursor`, `_format`). */
export const SEARCH_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  Patient: ['_id', 'identifier'],
  CarePlan: ['patient', 'subject'],
  Goal: ['patient', 'subject'],
  Observation: ['patient', 'subject', 'code', 'date', '_sort'],
  QuestionnaireResponse: ['patient', 'subject'],
  Procedure: ['patient', 'subject', 'date', '_sort'],
  Flag: ['patient', 'subject', 'status'],
  DetectedIssue: ['patient'],
  CodeSystem: ['url'],
};
const COMMON = ['_count', '_cursor', '_format'];

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_PREFIX = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.+)$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** One value of a parameter: a repeated parameter is refused where it is not meaningful. */
function single(query: QueryValues, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new FhirBadRequest(`${name} may be given once`, name);
  return value;
}

function all(query: QueryValues, name: string): string[] {
  const value = query[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export interface SearchRequest {
  /** Parameters kept (for the self link); ignored ones are left out in lenient handling. */
  used: [string, string][];
  count: number;
  cursor: string | null;
  patientId: string | null;
  id: string | null;
  identifier: { system: string | null; value: string } | null;
  codes: { system: string | null; code: string }[] | null;
  dates: FhirDateBound[];
  descending: boolean;
  status: 'active' | 'inactive' | null;
  url: string | null;
}

/**
 * Reads a search's parameters for a type. An unknown parameter is a 400 naming it, unless the
 * client asked for lenient handling (`Prefer: handling=lenient`), when it is ignored, as the
 * FHIR search page allows.
 */
export function parseSearch(type: string, query: QueryValues, lenient: boolean): SearchRequest {
  const own = Object.hasOwn(SEARCH_PARAMETERS, type) ? SEARCH_PARAMETERS[type] : [];
  const allowed = new Set([...own, ...COMMON]);
  const used: [string, string][] = [];
  for (const name of Object.keys(query)) {
    if (!allowed.has(name)) {
      if (lenient) continue;
      throw new FhirBadRequest(`The search parameter ${name} is not supported for ${type}`, name);
    }
    if (name !== '_cursor') for (const v of all(query, name)) used.push([name, v]);
  }
  const format = single(query, '_format');
  if (
    format !== undefined &&
    !['json', 'application/fhir+json', 'application/json'].includes(format)
  ) {
    throw new FhirBadRequest('Only JSON is served (_format=json)', '_format');
  }
  return {
    used,
    count: parseCount(single(query, '_count')),
    cursor: single(query, '_cursor') ?? null,
    patientId: parsePatient(query),
    id: parseId(single(query, '_id')),
    identifier: parseToken(single(query, 'identifier'), 'identifier'),
    codes: parseCodes(query),
    dates: all(query, 'date').map(parseDate),
    descending: parseSort(single(query, '_sort')),
    status: parseStatus(single(query, 'status')),
    url: single(query, 'url') ?? null,
  };
}

export function parseCount(value: string | undefined, max = MAX_COUNT, fallback = DEFAULT_COUNT) {
  if (value === undefined) return fallback;
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) {
    throw new FhirBadRequest(
      `_count must be a whole number from 1 (at most ${max} are served)`,
      '_count',
    );
  }
  // A server may answer fewer than asked (FHIR search §3.1.1.5.8): larger counts are capped.
  return Math.min(Number(value), max);
}

function parseId(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!isFhirId(value)) throw new FhirBadRequest('_id is not a FHIR id', '_id');
  return value;
}

/** `patient=<id>`, `patient=Patient/<id>` or `subject=Patient/<id>`. */
function parsePatient(query: QueryValues): string | null {
  const patient = single(query, 'patient');
  const subject = single(query, 'subject');
  if (patient !== undefined && subject !== undefined) {
    throw new FhirBadRequest('Give patient or subject, not both', 'subject');
  }
  const raw = patient ?? subject;
  if (raw === undefined) return null;
  const name = patient !== undefined ? 'patient' : 'subject';
  const id = raw.startsWith('Patient/') ? raw.slice('Patient/'.length) : raw;
  if (subject !== undefined && !raw.startsWith('Patient/')) {
    throw new FhirBadRequest('subject must name a Patient (subject=Patient/<id>)', 'subject');
  }
  if (!isUuid(id)) throw new FhirBadRequest(`${name} must name a patient id`, name);
  return id.toLowerCase();
}

function parseToken(
  value: string | undefined,
  name: string,
): { system: string | null; value: string } | null {
  if (value === undefined) return null;
  const bar = value.indexOf('|');
  // `system|code`; `|code` is a code without a system (which none of ours is), `code` any system.
  const token =
    bar < 0
      ? { system: null, value }
      : { system: value.slice(0, bar), value: value.slice(bar + 1) };
  if (!token.value) throw new FhirBadRequest(`${name} needs a value`, name);
  return token;
}

/** `code=41950-7`, `code=http://loinc.org|41950-7`, several separated by commas (any of them). */
function parseCodes(query: QueryValues): { system: string | null; code: string }[] | null {
  const values = all(query, 'code');
  if (values.length === 0) return null;
  if (values.length > 1)
    throw new FhirBadRequest('code may be given once (use commas for any of several)', 'code');
  return values[0].split(',').map((part) => {
    const token = parseToken(part, 'code')!;
    return { system: token.system, code: token.value };
  });
}

/**
 * `date=[prefix]value`: a day (`2026-10-05`, compared with the patient-local day) or an instant
 * with its offset (`2026-10-05T08:00:00Z`). eq, gt, lt, ge, le are served; ne, sa, eb, ap are not.
 */
export function parseDate(raw: string): FhirDateBound {
  const match = DATE_PREFIX.exec(raw);
  const op = (match?.[1] ?? 'eq') as FhirDateBound['op'] | 'ne' | 'sa' | 'eb' | 'ap';
  const value = match?.[2] ?? '';
  if (op === 'ne' || op === 'sa' || op === 'eb' || op === 'ap') {
    throw new FhirBadRequest(
      `The date prefix ${op} is not supported (eq, gt, lt, ge, le are)`,
      'date',
    );
  }
  // Year 0 exists in no calendar PostgreSQL reads.
  if (value.startsWith('0000')) throw new FhirBadRequest('date: year 0 does not exist', 'date');
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = readCalendarDate(value);
    if (typeof day !== 'string') throw new FhirBadRequest(`date: ${day.problem}`, 'date');
    return { op, value };
  }
  const instant = /^\d{4}-\d{2}-\d{2}T/.test(value) ? readInstant(value) : null;
  if (instant instanceof Date) {
    if (op === 'eq') {
      throw new FhirBadRequest('An instant can only bound a date (gt, lt, ge, le)', 'date');
    }
    // The instant as read (to the millisecond), never the text: PostgreSQL refuses some texts
    // the reading accepts (a fraction of 130 digits).
    return { op, value: instant.toISOString() };
  }
  throw new FhirBadRequest(
    'date must be a day (YYYY-MM-DD) or an instant with its offset, after an optional prefix',
    'date',
  );
}

function parseSort(value: string | undefined): boolean {
  if (value === undefined || value === 'date') return false;
  if (value === '-date') return true;
  throw new FhirBadRequest('_sort may be date or -date', '_sort');
}

function parseStatus(value: string | undefined): 'active' | 'inactive' | null {
  if (value === undefined) return null;
  if (value === 'active' || value === 'inactive') return value;
  throw new FhirBadRequest('status may be active or inactive', 'status');
}

// ---- cursors --------------------------------------------------------------------------------

const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Where the next page starts: a source (by position in the list searched) and a key in it. */
export interface FhirCursor {
  source: number;
  key: FhirKey | null;
}

export function encodeFhirCursor(cursor: FhirCursor): string {
  const key = cursor.key ? [cursor.key.patientId, cursor.key.at, cursor.key.rid] : null;
  return Buffer.from(JSON.stringify([cursor.source, key])).toString('base64url');
}

/** A cursor this service wrote, checked whole; anything else is a 400. */
export function decodeFhirCursor(raw: string, sources: number): FhirCursor {
  let decoded: unknown = null;
  try {
    decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  if (Array.isArray(decoded) && decoded.length === 2) {
    const [source, key] = decoded as unknown[];
    if (typeof source === 'number' && Number.isInteger(source) && source >= 0 && source < sources) {
      if (key === null) return { source, key: null };
      if (Array.isArray(key) && key.length === 3) {
        const [patientId, at, rid] = key as unknown[];
        if (
          typeof patientId === 'string' &&
          isUuid(patientId) &&
          typeof at === 'string' &&
          CURSOR_AT.test(at) &&
          typeof readWrittenTime(at, 'rfc3339') !== 'string' &&
          typeof rid === 'string' &&
          isFhirId(rid)
        ) {
          return { source, key: { patientId, at, rid } };
        }
      }
    }
  }
  throw new FhirBadRequest('The cursor is not one this server returned', '_cursor');
}
