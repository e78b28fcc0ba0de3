import type { ImportFormat, Parser } from '../types';
import { parseAppleHealthXml } from './apple-health-xml';
import { parseFhir } from './fhir';
import { parseFitbit } from './fitbit';
import { parseGarmin } from './garmin';
import { parseGoogleHealth } from './google-health';
import { parseHealthConnect } from './health-connect';
import { parseNative } from './native';
import { parseOpenMhealth } from './openmhealth';
import { parseWithings } from './withings';

export const PARSERS: Partial<Record<ImportFormat, Parser>> = {
  native: parseNative,
  openmhealth: parseOpenMhealth,
  fhir: parseFhir,
  'apple-health-xml': parseAppleHealthXml,
  'health-connect': parseHealthConnect,
  garmin: parseGarmin,
  fitbit: parseFitbit,
  'google-health': parseGoogleHealth,
  withings: parseWithings,
};
