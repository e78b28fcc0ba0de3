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
  'google-health',
  'withings',
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
  /** The account at the source, when the payload names one (a Garmin `userId`): two accounts are two sources. */
  account?: string | null;
}

/**
 * The source's own identity of a record it may send again changed (a Garmin epoch, a FHIR
 * Observation, a Health Connect record). A version with a higher revision replaces what an
 * earlier one stored; of two with the same revision, the one received later does.
 */
export interface SampleRecord {
  id: string;
  /** The source's own version: Garmin's duration so far, a last-modified time in ms, or 0. */
  revision: number;
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
  /**
   * `day`: a daily total the source did not break down; `interval`: anything finer; `point`: a
   * count at one instant (start = end), such as steps typed into Apple Health.
   */
  granularity: 'interval' | 'day' | 'point';
  /** Set when the source identifies the record; null when the natural key (start, source, end) does. */
  record: SampleRecord | null;
  ref: RecordRef;
}

/** A record the source withdrew (FHIR `entered-in-error`): what it stored is removed. */
export interface SampleRetraction {
  recordId: string;
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
