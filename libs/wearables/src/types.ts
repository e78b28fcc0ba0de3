import type { ActivitySample, PainObservationItem, Rejection, SampleRetraction } from '@app/domain';

export type {
  ActivitySample,
  ImportFormat,
  PainObservationItem,
  RecordRef,
  Rejection,
  SampleRecord,
  SampleRetraction,
  SampleSource,
} from '@app/domain';
export { IMPORT_FORMATS } from '@app/domain';

export interface ParsedBatch {
  samples: ActivitySample[];
  pains: PainObservationItem[];
  retractions: SampleRetraction[];
  rejections: Rejection[];
}

export interface ParseContext {
  /** The patient's IANA zone: for local times without an offset (Fitbit, FHIR bare dates). */
  timezone: string;
  /** The clock, given: parsers never read it. */
  now: Date;
  /** The largest JSON payload read (IMPORT_JSON_MAX_BYTES, the limit the API accepted it under). */
  jsonMaxBytes: number;
}

/** A payload arrives as a stream of chunks: an Apple Health export can be gigabytes. */
export type Payload = AsyncIterable<Buffer>;

export type Parser = (payload: Payload, ctx: ParseContext) => AsyncIterable<ParsedBatch>;

export function emptyBatch(): ParsedBatch {
  return { samples: [], pains: [], retractions: [], rejections: [] };
}
