import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

// A typed client of the Sciatrack API: openapi-fetch over the types openapi-typescript generated
// from the API's OpenAPI document (src/schema.ts, `npm run client:generate` at the repository
// root). Every path, parameter, body and answer is typed as the document declares it.

export type { components, operations, paths };

/** The schemas of the document, by name: `Schemas['PatientDto']`. */
export type Schemas = components['schemas'];

export type SciatrackClient = Client<paths>;

/** openapi-fetch's options (a custom `fetch`, headers…), but the base URL. */
export type SciatrackClientOptions = Omit<ClientOptions, 'baseUrl'>;

/**
 * A client of the Sciatrack API at `baseUrl` (`https://api.example.org`, without /v1) that
 * authenticates with `key`: an organization API key, or the operator token for
 * POST /v1/admin/organizations.
 */
export function createSciatrackClient(
  baseUrl: string,
  key: string,
  options: SciatrackClientOptions = {},
): SciatrackClient {
  const { headers, ...rest } = options;
  return createClient<paths>({
    ...rest,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: { ...headers, Authorization: `Bearer ${key}` },
  });
}

type ImportOperation = paths['/v1/patients/{id}/activity-imports']['post'];

/** The values of `format`: native, openmhealth, fhir, apple-health-xml… */
export type ImportFormat = ImportOperation['parameters']['query']['format'];

/**
 * The body of an activity import, by its format (the document's `x-schema-by-format`): which
 * schema applies is named by `format`, never guessed from the body.
 */
export interface ImportBodies {
  native: Schemas['NativeImportDto'];
  openmhealth:
    | Schemas['OpenMHealthDataPointDto']
    | Schemas['OpenMHealthDataPointDto'][]
    | Schemas['OpenMHealthBodyDto'];
  fhir: Schemas['FhirBundleDto'] | Schemas['FhirObservationDto'];
  'apple-health-xml': string;
  'health-connect': Schemas['HealthConnectImportDto'];
  garmin: Schemas['GarminPushDto'];
  fitbit: Schemas['FitbitStepsDto'];
  'google-health': Schemas['GoogleHealthDataPointsDto'];
  withings: Schemas['WithingsMeasureResponseDto'];
}

/**
 * Posts an activity import with the body its format takes: JSON, or for `apple-health-xml`
 * the export.xml text as application/xml. Answers as every call of the client does:
 * `{ data }` (202: `{ id, status }`) or `{ error }` (problem details).
 */
export function importActivity<F extends ImportFormat>(
  client: SciatrackClient,
  patientId: string,
  format: F,
  body: ImportBodies[F],
  idempotencyKey?: string,
) {
  const xml = format === 'apple-health-xml';
  return client.POST('/v1/patients/{id}/activity-imports', {
    params: {
      path: { id: patientId },
      query: { format },
      header: idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey },
    },
    body,
    ...(xml
      ? { bodySerializer: (text: unknown) => text, headers: { 'Content-Type': 'application/xml' } }
      : {}),
  });
}
