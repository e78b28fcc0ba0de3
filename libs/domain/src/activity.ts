import type { PainSide, PainSite } from './pain';

// The normalized shapes every wearable format is parsed into (the parsers live in
// libs/wearables; the persistence and rollup code only ever see these).

export const IMPORT_FORMATS = [
  'native',
  'openmhealth',
  'fhir',
  'apple-health-xml',
  'health-connect',
  'garmin',
  'fitbit',
] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Where a record sits in the payload, so a rejection can point at it. */
export interface RecordRef {
  /** Position among the payload's records (JSON formats), from 0. */
  index?: number;
  /** Line of the payload (XML). */
  line?: number;
}

export interface SampleSource {
  /** The app or platform that recorded it: `com.google.android.apps.fitness`, `iPhone`, `garmin`. */
  name: string;
  /** The device, when the payload says: `Apple Watch`, `Pixel 8`, `Forerunner 265`. */
  device: string | null;
}

/** One interval of activity from one source, normalized to UTC instants. */
export interface ActivitySample {
  source: SampleSource;
  start: Date;
  end: Date;
  steps: number;
  activeMinutes: number | null;
  /** `walking`, `running`, … as the source names it, lower case; null when it does not say. */
  activityType: string | null;
  /** Typed in by hand (user_input origins, HKWasUserEntered, self-reported…): kept but marked. */
  manual: boolean;
  /** `day`: a daily total the source did not break down; `interval`: anything finer. */
  granularity: 'interval' | 'day';
  ref: RecordRef;
}

/** A pain rating found in a payload (FHIR LOINC 72514-3); it becomes a pain report. */
export interface PainObservationItem {
  /** The payload's own id for it (FHIR Observation.id), to make a replay create nothing. */
  externalId: string;
  reportedAt: Date;
  intensity: number;
  mostDistalSite: PainSite;
  side: PainSide | null;
  ref: RecordRef;
}

export interface Rejection extends RecordRef {
  reason: string;
}
