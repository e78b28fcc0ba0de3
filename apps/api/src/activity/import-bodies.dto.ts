import { ApiProperty, ApiPropertyOptional, ApiSchema, getSchemaPath } from '@nestjs/swagger';

// The bodies of POST /v1/patients/{id}/activity-imports, one schema per `format`, for the
// OpenAPI document only: the parsers of libs/wearables read them (docs/wearables.md says how,
// field by field). Each describes the documented shape at the level a client needs to build
// one; fields the parsers do not read are allowed and ignored.

const INSTANT = { format: 'date-time', example: '2026-11-20T09:00:00+01:00' } as const;

// --- native -----------------------------------------------------------------------------------

export class NativeSourceDto {
  @ApiProperty({ maxLength: 200, example: 'demo-watch', description: 'The app or platform' })
  name: string;
  @ApiPropertyOptional({ maxLength: 200, example: 'Synthetic Watch 2' }) device?: string;
}

export class NativeSampleDto {
  @ApiProperty({ ...INSTANT, description: 'RFC 3339, with an offset' }) start: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-20T09:30:00+01:00' }) end: string;
  @ApiProperty({ type: 'integer', minimum: 0, example: 1840 }) steps: number;
  @ApiPropertyOptional({ minimum: 0, example: 28, description: 'At most the interval’s minutes' })
  activeMinutes?: number;
  @ApiPropertyOptional({ maxLength: 200, example: 'walking' }) activityType?: string;
  @ApiPropertyOptional({
    enum: ['user_input'],
    description: 'user_input: steps entered by hand (counted, and shown apart)',
  })
  origin?: 'user_input';
}

@ApiSchema({
  description:
    'format=native: Sciatrack’s own batch, written in the request (a sample of 20 hours or more is a daily total)',
})
export class NativeImportDto {
  @ApiProperty({ type: NativeSourceDto }) source: NativeSourceDto;
  @ApiProperty({ type: [NativeSampleDto], maxItems: 10_000 }) samples: NativeSampleDto[];
}

// --- openmhealth ------------------------------------------------------------------------------

export class OpenMHealthSchemaIdDto {
  @ApiProperty({ example: 'omh', description: '`omh`, or `ieee` (IEEE 1752.1)' })
  namespace: string;
  @ApiProperty({ enum: ['step-count', 'physical-activity'] }) name: string;
  @ApiProperty({ example: '3.0', description: 'step-count 1.0, 2.0 or 3.0' }) version: string;
}

export class OpenMHealthProvenanceDto {
  @ApiProperty({ example: 'Moves', description: 'The source of the samples' }) source_name: string;
  @ApiPropertyOptional({
    enum: ['sensed', 'self-reported'],
    description: 'self-reported: entered by hand',
  })
  modality?: string;
}

export class OpenMHealthHeaderDto {
  @ApiProperty({ example: '6f6c3a9e-1b0d-4c2a-9a51-0c5e1d2f7a01' }) id: string;
  @ApiProperty({ type: OpenMHealthSchemaIdDto }) schema_id: OpenMHealthSchemaIdDto;
  @ApiPropertyOptional({ ...INSTANT }) creation_date_time?: string;
  @ApiPropertyOptional({ type: OpenMHealthProvenanceDto })
  acquisition_provenance?: OpenMHealthProvenanceDto;
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'A later one replaces the data point of the same id',
  })
  source_last_modification_date_time?: string;
}

export class OpenMHealthUnitValueDto {
  @ApiProperty({ example: 3000 }) value: number;
  @ApiProperty({ example: 'steps', description: '`steps` for counts; a duration or length unit' })
  unit: string;
}

export class OpenMHealthTimeIntervalDto {
  @ApiPropertyOptional({ ...INSTANT }) start_date_time?: string;
  @ApiPropertyOptional({ format: 'date-time', example: '2026-11-20T09:30:00+01:00' })
  end_date_time?: string;
  @ApiPropertyOptional({
    type: OpenMHealthUnitValueDto,
    description: 'Units ps, ns, us, ms, sec, min, h, d or wk (two of start, end, duration)',
  })
  duration?: OpenMHealthUnitValueDto;
}

export class OpenMHealthTimeFrameDto {
  @ApiProperty({ type: OpenMHealthTimeIntervalDto }) time_interval: OpenMHealthTimeIntervalDto;
}

@ApiSchema({
  description:
    'format=openmhealth, a bare measure body: step-count (step_count) or physical-activity (activity_name)',
})
export class OpenMHealthBodyDto {
  @ApiPropertyOptional({
    oneOf: [{ type: 'integer' }, { $ref: getSchemaPath(OpenMHealthUnitValueDto) }],
    description: 'step-count: a number (1.0, 2.0) or `{ value, unit: "steps" }` (3.0)',
  })
  step_count?: number | OpenMHealthUnitValueDto;
  @ApiPropertyOptional({ example: 'walking', description: 'physical-activity' })
  activity_name?: string;
  @ApiPropertyOptional({
    type: OpenMHealthUnitValueDto,
    description: 'physical-activity: its minutes as active minutes',
  })
  effective_duration?: OpenMHealthUnitValueDto;
  @ApiPropertyOptional({
    type: OpenMHealthUnitValueDto,
    description: 'IEEE physical-activity: steps when in `steps`',
  })
  base_movement_quantity?: OpenMHealthUnitValueDto;
  @ApiPropertyOptional({
    type: OpenMHealthUnitValueDto,
    description: 'A length unit of the schema',
  })
  distance?: OpenMHealthUnitValueDto;
  @ApiPropertyOptional({
    description: 'A body with a statistic (average, maximum…) is refused: it is not a count',
  })
  descriptive_statistic?: string;
  @ApiProperty({ type: OpenMHealthTimeFrameDto }) effective_time_frame: OpenMHealthTimeFrameDto;
}

@ApiSchema({ description: 'format=openmhealth: one Open mHealth / IEEE 1752.1 data point' })
export class OpenMHealthDataPointDto {
  @ApiProperty({ type: OpenMHealthHeaderDto }) header: OpenMHealthHeaderDto;
  @ApiProperty({ type: OpenMHealthBodyDto }) body: OpenMHealthBodyDto;
}

// --- fhir -------------------------------------------------------------------------------------

export class FhirCodingDto {
  @ApiPropertyOptional({ example: 'http://loinc.org' }) system?: string;
  @ApiPropertyOptional({ example: '55423-8' }) code?: string;
  @ApiPropertyOptional({ example: 'Number of steps in unspecified time Pedometer' })
  display?: string;
}

export class FhirCodeableConceptDto {
  @ApiPropertyOptional({ type: [FhirCodingDto] }) coding?: FhirCodingDto[];
  @ApiPropertyOptional() text?: string;
}

export class FhirQuantityDto {
  @ApiProperty({ example: 1840 }) value: number;
  @ApiPropertyOptional({ example: 'steps' }) unit?: string;
  @ApiPropertyOptional({ example: 'http://unitsofmeasure.org' }) system?: string;
  @ApiPropertyOptional({ example: '{steps}' }) code?: string;
}

export class FhirPeriodDto {
  @ApiProperty({ ...INSTANT }) start: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-20T09:30:00+01:00' }) end: string;
}

export class FhirComponentDto {
  @ApiProperty({ type: FhirCodeableConceptDto }) code: FhirCodeableConceptDto;
  @ApiPropertyOptional({ type: FhirQuantityDto }) valueQuantity?: FhirQuantityDto;
  @ApiPropertyOptional({ type: 'integer' }) valueInteger?: number;
}

export class FhirMetaDto {
  @ApiPropertyOptional({ example: 'https://app.example/fhir', description: 'The source name' })
  source?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'A later version replaces the older' })
  lastUpdated?: string;
  @ApiPropertyOptional({ type: [FhirCodingDto], description: 'A manual entry can be tagged' })
  tag?: FhirCodingDto[];
}

export class FhirReferenceDto {
  @ApiPropertyOptional({ example: 'Pixel Watch 2' }) display?: string;
}

@ApiSchema({
  description:
    'format=fhir: one FHIR R4 Observation: LOINC 55423-8 (steps over effectivePeriod), 41950-7 (steps in a day), 72514-3 (pain 0–10, becomes a pain report)',
})
export class FhirObservationDto {
  @ApiProperty({ enum: ['Observation'] }) resourceType: 'Observation';
  @ApiPropertyOptional({ example: 'steps-0001', description: 'Identifies the record' })
  id?: string;
  @ApiProperty({
    enum: ['final', 'amended', 'corrected', 'entered-in-error'],
    description:
      'final, amended or corrected are imported; entered-in-error withdraws the Observation of this id; others are refused',
  })
  status: string;
  @ApiProperty({ type: FhirCodeableConceptDto }) code: FhirCodeableConceptDto;
  @ApiPropertyOptional({ type: FhirPeriodDto }) effectivePeriod?: FhirPeriodDto;
  @ApiPropertyOptional({
    description: 'A bare date (a whole local day, 41950-7) or a date-time with an offset',
    example: '2026-11-20',
  })
  effectiveDateTime?: string;
  @ApiPropertyOptional({ type: FhirQuantityDto, description: 'In a unit of steps, or 0–10' })
  valueQuantity?: FhirQuantityDto;
  @ApiPropertyOptional({ type: 'integer' }) valueInteger?: number;
  @ApiPropertyOptional({
    type: FhirCodeableConceptDto,
    description: 'Pain: a LOINC answer of LL2335-9',
  })
  valueCodeableConcept?: FhirCodeableConceptDto;
  @ApiPropertyOptional({ type: [FhirComponentDto] }) component?: FhirComponentDto[];
  @ApiPropertyOptional({
    type: FhirCodeableConceptDto,
    description: 'Pain: the site (SNOMED CT), with its laterality',
  })
  bodySite?: FhirCodeableConceptDto;
  @ApiPropertyOptional({ type: FhirCodeableConceptDto }) method?: FhirCodeableConceptDto;
  @ApiPropertyOptional({ type: FhirReferenceDto }) device?: FhirReferenceDto;
  @ApiPropertyOptional({ type: FhirMetaDto }) meta?: FhirMetaDto;
}

export class FhirBundleEntryDto {
  @ApiPropertyOptional() fullUrl?: string;
  @ApiProperty({ type: FhirObservationDto }) resource: FhirObservationDto;
}

@ApiSchema({ description: 'format=fhir: a FHIR R4 Bundle of Observation entries' })
export class FhirBundleDto {
  @ApiProperty({ enum: ['Bundle'] }) resourceType: 'Bundle';
  @ApiPropertyOptional({ example: 'collection' }) type?: string;
  @ApiProperty({ type: [FhirBundleEntryDto] }) entry: FhirBundleEntryDto[];
}

// --- health-connect ---------------------------------------------------------------------------

export class HealthConnectDataOriginDto {
  @ApiProperty({ example: 'com.google.android.apps.fitness' }) packageName: string;
}

export class HealthConnectDeviceDto {
  @ApiPropertyOptional({ example: 'Google' }) manufacturer?: string;
  @ApiPropertyOptional({ example: 'Pixel Watch 2' }) model?: string;
}

export class HealthConnectMetadataDto {
  @ApiPropertyOptional({ description: 'Kept when the record is edited: identifies it' })
  id?: string;
  @ApiPropertyOptional({
    oneOf: [{ $ref: getSchemaPath(HealthConnectDataOriginDto) }, { type: 'string' }],
    description: 'The writing app: `{ packageName }`, or the package name itself',
  })
  dataOrigin?: HealthConnectDataOriginDto | string;
  @ApiPropertyOptional({ type: HealthConnectDeviceDto }) device?: HealthConnectDeviceDto;
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'A later one replaces the stored version',
  })
  lastModifiedTime?: string;
  @ApiPropertyOptional({ type: 'integer' }) clientRecordVersion?: number;
  @ApiPropertyOptional({
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    description: '3 (RECORDING_METHOD_MANUAL_ENTRY): entered by hand',
  })
  recordingMethod?: number | string;
}

export class HealthConnectZoneOffsetDto {
  @ApiProperty({ type: 'integer', example: 3600 }) totalSeconds: number;
}

const ZONE_OFFSET = {
  oneOf: [
    { type: 'string', example: '+01:00' },
    { type: 'integer', description: 'seconds' },
    { $ref: getSchemaPath(HealthConnectZoneOffsetDto) },
  ],
  description: 'Places a time written without an offset; else the patient’s zone does',
};

export class HealthConnectStepsRecordDto {
  @ApiProperty({ ...INSTANT }) startTime: string;
  @ApiPropertyOptional(ZONE_OFFSET) startZoneOffset?: string | number | HealthConnectZoneOffsetDto;
  @ApiProperty({ format: 'date-time', example: '2026-11-20T09:30:00+01:00' }) endTime: string;
  @ApiPropertyOptional(ZONE_OFFSET) endZoneOffset?: string | number | HealthConnectZoneOffsetDto;
  @ApiProperty({ type: 'integer', minimum: 0, example: 1840 }) count: number;
  @ApiPropertyOptional({ type: HealthConnectMetadataDto }) metadata?: HealthConnectMetadataDto;
}

@ApiSchema({
  description:
    'format=health-connect: Android Health Connect StepsRecords with the Jetpack field names',
})
export class HealthConnectImportDto {
  @ApiProperty({ type: [HealthConnectStepsRecordDto] }) records: HealthConnectStepsRecordDto[];
}

// --- garmin -----------------------------------------------------------------------------------

export class GarminDailyDto {
  @ApiProperty({ example: '4aacafe82427c251df9c9592d0c06768', description: 'The Garmin account' })
  userId: string;
  @ApiPropertyOptional() summaryId?: string;
  @ApiPropertyOptional({
    format: 'date',
    example: '2026-11-20',
    description: 'The day Garmin Connect shows it on',
  })
  calendarDate?: string;
  @ApiPropertyOptional({ type: 'integer', description: 'Unix seconds, UTC' })
  startTimeInSeconds?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'To the device’s displayed clock' })
  startTimeOffsetInSeconds?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Below 86400 until the day is complete' })
  durationInSeconds?: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 8123 }) steps: number;
  @ApiPropertyOptional({ type: 'integer' }) activeTimeInSeconds?: number;
  @ApiPropertyOptional({ example: 'Forerunner 265' }) deviceName?: string;
}

export class GarminEpochDto {
  @ApiProperty({ example: '4aacafe82427c251df9c9592d0c06768' }) userId: string;
  @ApiPropertyOptional() summaryId?: string;
  @ApiProperty({ type: 'integer', description: 'Unix seconds, UTC', example: 1795161600 })
  startTimeInSeconds: number;
  @ApiPropertyOptional({ type: 'integer' }) startTimeOffsetInSeconds?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 900, default: 900 })
  durationInSeconds?: number;
  @ApiPropertyOptional({
    example: 'WALKING',
    description: 'SEDENTARY and SLEEP active time is not activity',
  })
  activityType?: string;
  @ApiProperty({ type: 'integer', minimum: 0, example: 420 }) steps: number;
  @ApiPropertyOptional({ type: 'integer' }) activeTimeInSeconds?: number;
  @ApiPropertyOptional() deviceName?: string;
  @ApiPropertyOptional({ description: 'A typed-in activity' }) manual?: boolean;
}

@ApiSchema({
  description:
    'format=garmin: a Garmin Health API push body, dailies and/or epochs of one Garmin account',
})
export class GarminPushDto {
  @ApiPropertyOptional({ type: [GarminDailyDto] }) dailies?: GarminDailyDto[];
  @ApiPropertyOptional({ type: [GarminEpochDto] }) epochs?: GarminEpochDto[];
}

// --- fitbit -----------------------------------------------------------------------------------

export class FitbitStepsDayDto {
  @ApiProperty({ format: 'date', example: '2026-11-20' }) dateTime: string;
  @ApiProperty({ example: '8123', description: 'The day’s steps, written as a string' })
  value: string;
}

export class FitbitIntradayEntryDto {
  @ApiProperty({ example: '09:15:00', description: 'Local wall time, read in the patient’s zone' })
  time: string;
  @ApiProperty({ type: 'integer', minimum: 0, example: 112 }) value: number;
}

export class FitbitIntradayDto {
  @ApiProperty({ type: [FitbitIntradayEntryDto] }) dataset: FitbitIntradayEntryDto[];
  @ApiProperty({ type: 'integer', example: 1 }) datasetInterval: number;
  @ApiProperty({ enum: ['second', 'minute', 'hour'], example: 'minute' }) datasetType: string;
}

@ApiSchema({
  description:
    'format=fitbit: a Fitbit Web API response of activities/steps/date/{date}/1d/{1min|15min}',
})
export class FitbitStepsDto {
  @ApiProperty({ type: [FitbitStepsDayDto], description: 'One day to date the intraday times' })
  'activities-steps': FitbitStepsDayDto[];
  @ApiPropertyOptional({ type: FitbitIntradayDto })
  'activities-steps-intraday'?: FitbitIntradayDto;
}

// --- google-health ----------------------------------------------------------------------------

export class GoogleHealthIntervalDto {
  @ApiProperty({ ...INSTANT }) startTime: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-20T09:01:00+01:00' }) endTime: string;
}

export class GoogleHealthStepsDto {
  @ApiProperty({
    oneOf: [{ type: 'string', example: '52' }, { type: 'integer' }],
    description: 'int64, written as a JSON string',
  })
  count: string | number;
  @ApiProperty({ type: GoogleHealthIntervalDto }) interval: GoogleHealthIntervalDto;
}

export class GoogleHealthDeviceDto {
  @ApiPropertyOptional({ example: 'Pixel Watch 2' }) displayName?: string;
  @ApiPropertyOptional() manufacturer?: string;
  @ApiPropertyOptional({ example: 'WATCH' }) formFactor?: string;
}

export class GoogleHealthApplicationDto {
  @ApiPropertyOptional({ example: 'com.google.android.apps.fitness' }) packageName?: string;
  @ApiPropertyOptional() webClientId?: string;
}

export class GoogleHealthDataSourceDto {
  @ApiPropertyOptional({ example: 'HEALTH_CONNECT' }) platform?: string;
  @ApiPropertyOptional({ example: 'MANUAL', description: 'MANUAL: entered by hand' })
  recordingMethod?: string;
  @ApiPropertyOptional({ type: GoogleHealthDeviceDto }) device?: GoogleHealthDeviceDto;
  @ApiPropertyOptional({ type: GoogleHealthApplicationDto })
  application?: GoogleHealthApplicationDto;
}

export class GoogleHealthDataPointDto {
  @ApiPropertyOptional({ description: 'Identifies the point when not empty' }) name?: string;
  @ApiPropertyOptional({ type: GoogleHealthDataSourceDto }) dataSource?: GoogleHealthDataSourceDto;
  @ApiPropertyOptional({ type: GoogleHealthStepsDto, description: 'A point without it is refused' })
  steps?: GoogleHealthStepsDto;
}

@ApiSchema({
  description:
    'format=google-health: one page of Google Health API v4 dataTypes/steps/dataPoints.list (a ListDataPointsResponse)',
})
export class GoogleHealthDataPointsDto {
  @ApiPropertyOptional({
    type: [GoogleHealthDataPointDto],
    description: 'Left out by Google when empty',
  })
  dataPoints?: GoogleHealthDataPointDto[];
  @ApiPropertyOptional() nextPageToken?: string;
}

// --- withings ---------------------------------------------------------------------------------

export class WithingsActivityDto {
  @ApiProperty({ format: 'date', example: '2026-11-20' }) date: string;
  @ApiPropertyOptional({ example: 'Europe/Paris', description: 'Else the patient’s zone' })
  timezone?: string;
  @ApiPropertyOptional() deviceid?: string;
  @ApiPropertyOptional() hash_deviceid?: string;
  @ApiPropertyOptional({ type: 'integer' }) brand?: number;
  @ApiPropertyOptional({ example: 'Pulse HR' }) model?: string;
  @ApiPropertyOptional({ type: 'integer' }) modelid?: number;
  @ApiPropertyOptional({
    type: 'integer',
    description: 'Unix seconds: a later one replaces the day',
  })
  modified?: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 8123 }) steps: number;
}

export class WithingsIntradayEntryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'An entry without it is skipped',
  })
  steps?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, example: 60, description: 'Seconds' })
  duration?: number;
  @ApiPropertyOptional() deviceid?: string;
  @ApiPropertyOptional() model?: string;
  @ApiPropertyOptional({ type: 'integer' }) model_id?: number;
}

export class WithingsMeasureBodyDto {
  @ApiPropertyOptional({ type: [WithingsActivityDto], description: 'Getactivity' })
  activities?: WithingsActivityDto[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(WithingsIntradayEntryDto) },
    description: 'Getintradayactivity: entries keyed by their start, in unix seconds',
  })
  series?: Record<string, WithingsIntradayEntryDto>;
  @ApiPropertyOptional() more?: boolean;
  @ApiPropertyOptional({ type: 'integer' }) offset?: number;
}

@ApiSchema({
  description:
    'format=withings: one Withings Measure v2 response (Getactivity or Getintradayactivity) as fetched',
})
export class WithingsMeasureResponseDto {
  @ApiProperty({ type: 'integer', example: 0, description: 'Anything but 0 is refused whole' })
  status: number;
  @ApiProperty({ type: WithingsMeasureBodyDto }) body: WithingsMeasureBodyDto;
  @ApiPropertyOptional() error?: string;
}
