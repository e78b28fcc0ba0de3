import type { ImportFormat } from '@app/domain';
import { getSchemaPath } from '@nestjs/swagger';
import type {
  ExampleObject,
  ReferenceObject,
  RequestBodyObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import {
  FhirBundleDto,
  FhirObservationDto,
  FitbitStepsDto,
  GarminPushDto,
  GoogleHealthDataPointsDto,
  HealthConnectDataOriginDto,
  HealthConnectImportDto,
  HealthConnectZoneOffsetDto,
  NativeImportDto,
  OpenMHealthBodyDto,
  OpenMHealthDataPointDto,
  OpenMHealthUnitValueDto,
  WithingsIntradayEntryDto,
  WithingsMeasureResponseDto,
} from './import-bodies.dto';

// How the body of an activity import is declared in the OpenAPI document: one schema per JSON
// format (a oneOf, the `format` query parameter saying which applies), and the Apple Health
// export as application/xml text.

type JsonFormat = Exclude<ImportFormat, 'apple-health-xml'>;

const ref = (model: Parameters<typeof getSchemaPath>[0]): ReferenceObject => ({
  $ref: getSchemaPath(model),
});
const OPENMHEALTH_ARRAY: SchemaObject = { type: 'array', items: ref(OpenMHealthDataPointDto) };

/** The schemas a body of each JSON format may follow. */
const SCHEMAS_BY_FORMAT: Record<JsonFormat, (SchemaObject | ReferenceObject)[]> = {
  native: [ref(NativeImportDto)],
  openmhealth: [ref(OpenMHealthDataPointDto), OPENMHEALTH_ARRAY, ref(OpenMHealthBodyDto)],
  fhir: [ref(FhirBundleDto), ref(FhirObservationDto)],
  'health-connect': [ref(HealthConnectImportDto)],
  garmin: [ref(GarminPushDto)],
  fitbit: [ref(FitbitStepsDto)],
  'google-health': [ref(GoogleHealthDataPointsDto)],
  withings: [ref(WithingsMeasureResponseDto)],
};

/** Every model the import body names, for ApiExtraModels. */
export const IMPORT_BODY_MODELS = [
  NativeImportDto,
  OpenMHealthDataPointDto,
  OpenMHealthBodyDto,
  OpenMHealthUnitValueDto,
  FhirBundleDto,
  FhirObservationDto,
  HealthConnectImportDto,
  HealthConnectDataOriginDto,
  HealthConnectZoneOffsetDto,
  GarminPushDto,
  FitbitStepsDto,
  GoogleHealthDataPointsDto,
  WithingsMeasureResponseDto,
  WithingsIntradayEntryDto,
];

/** The `x-schema-by-format` extension of the operation: format → the schemas of its body. */
export const IMPORT_SCHEMA_BY_FORMAT = {
  ...SCHEMAS_BY_FORMAT,
  'apple-health-xml': [{ type: 'string', description: 'application/xml' }],
};

const JSON_EXAMPLES: Record<JsonFormat, ExampleObject> = {
  native: {
    summary: 'format=native: a watch’s walk',
    value: {
      source: { name: 'demo-watch', device: 'Synthetic Watch 2' },
      samples: [
        {
          start: '2026-11-20T09:00:00+01:00',
          end: '2026-11-20T09:30:00+01:00',
          steps: 1840,
          activeMinutes: 28,
          activityType: 'walking',
        },
      ],
    },
  },
  openmhealth: {
    summary: 'format=openmhealth: a step-count 3.0 data point (also: an array, or a bare body)',
    value: {
      header: {
        id: '6f6c3a9e-1b0d-4c2a-9a51-0c5e1d2f7a03',
        creation_date_time: '2026-11-20T12:31:40+01:00',
        schema_id: { namespace: 'omh', name: 'step-count', version: '3.0' },
        acquisition_provenance: { source_name: 'Moves', modality: 'sensed' },
      },
      body: {
        step_count: { value: 3000, unit: 'steps' },
        effective_time_frame: {
          time_interval: {
            start_date_time: '2026-11-20T12:00:00+01:00',
            end_date_time: '2026-11-20T12:30:00+01:00',
          },
        },
      },
    },
  },
  fhir: {
    summary: 'format=fhir: a Bundle with a daily step count (also: one Observation)',
    value: {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'Observation',
            id: 'daily-2026-11-20',
            status: 'final',
            code: {
              coding: [
                {
                  system: 'http://loinc.org',
                  code: '41950-7',
                  display: 'Number of steps in 24 hour Measured',
                },
              ],
            },
            effectiveDateTime: '2026-11-20',
            valueQuantity: {
              value: 7267,
              unit: 'steps per day',
              system: 'http://unitsofmeasure.org',
              code: '/d',
            },
          },
        },
      ],
    },
  },
  'health-connect': {
    summary: 'format=health-connect: a StepsRecord as the Jetpack API serializes it',
    value: {
      records: [
        {
          startTime: '2026-11-20T08:10:00Z',
          startZoneOffset: '+01:00',
          endTime: '2026-11-20T08:20:00Z',
          endZoneOffset: '+01:00',
          count: 800,
          metadata: {
            id: '5f1c2a4e-8a0b-4a47-9c2e-3a1f0c7e6d02',
            dataOrigin: { packageName: 'com.google.android.apps.fitness' },
            lastModifiedTime: '2026-11-20T10:00:00Z',
            device: { manufacturer: 'Google', model: 'Pixel 8' },
          },
        },
      ],
    },
  },
  garmin: {
    summary: 'format=garmin: a push of epochs',
    value: {
      epochs: [
        {
          userId: '4aacafe82427c251df9c9592d0c06768',
          summaryId: 'x153a-1795161600-walking',
          startTimeInSeconds: 1795161600,
          startTimeOffsetInSeconds: 3600,
          durationInSeconds: 900,
          activityType: 'WALKING',
          steps: 420,
          activeTimeInSeconds: 540,
        },
      ],
    },
  },
  fitbit: {
    summary: 'format=fitbit: a day with its 15-minute intraday series',
    value: {
      'activities-steps': [{ dateTime: '2026-11-20', value: '8123' }],
      'activities-steps-intraday': {
        dataset: [
          { time: '09:00:00', value: 412 },
          { time: '09:15:00', value: 530 },
        ],
        datasetInterval: 15,
        datasetType: 'minute',
      },
    },
  },
  'google-health': {
    summary: 'format=google-health: one page of dataPoints.list',
    value: {
      dataPoints: [
        {
          dataSource: {
            platform: 'HEALTH_CONNECT',
            device: { displayName: 'Pixel Watch 2' },
            application: { packageName: 'com.google.android.apps.fitness' },
          },
          steps: {
            count: '52',
            interval: {
              startTime: '2026-11-20T09:00:00+01:00',
              endTime: '2026-11-20T09:01:00+01:00',
            },
          },
        },
      ],
    },
  },
  withings: {
    summary: 'format=withings: a Getactivity response',
    value: {
      status: 0,
      body: {
        activities: [
          {
            date: '2026-11-20',
            timezone: 'Europe/Paris',
            hash_deviceid: 'a1b2c3d4',
            model: 'Pulse HR',
            modified: 1795200000,
            steps: 8123,
          },
        ],
        more: false,
        offset: 0,
      },
    },
  },
};

const APPLE_HEALTH_EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<HealthData locale="en_GB">
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count" startDate="2026-11-20 09:00:00 +0100" endDate="2026-11-20 09:10:00 +0100" value="812"/>
</HealthData>
`;

export const IMPORT_REQUEST_BODY: RequestBodyObject = {
  required: true,
  description:
    'The payload in the format the `format` query parameter names: a JSON document of that ' +
    'format’s schema (application/json), or the Apple Health export.xml (application/xml).',
  content: {
    'application/json': {
      schema: {
        oneOf: Object.values(SCHEMAS_BY_FORMAT).flat(),
        description:
          'One of the JSON formats: native, openmhealth, fhir, health-connect, garmin, fitbit, ' +
          'google-health, withings (x-schema-by-format maps each to its schemas)',
      },
      examples: JSON_EXAMPLES,
    },
    'application/xml': {
      schema: {
        type: 'string',
        description: 'format=apple-health-xml: the export.xml of an Apple Health export, streamed',
      },
      examples: {
        'apple-health-xml': { summary: 'format=apple-health-xml', value: APPLE_HEALTH_EXAMPLE },
      },
    },
  },
};
