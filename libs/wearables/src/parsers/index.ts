import type { ImportFormat, Parser } from '../types';
import { parseAppleHealthXml } from './apple-health-xml';
import { parseFhir } from './fhir';
import { parseFitbit } from './fitbit';
import { parseGarmin } from './garmin';
import { parseHealthConnect } from './health-connect';
import { parseNative } from './native';
import { parseOpenMhealth } from './openmhealth';

export const PARSERS: Partial<Record<ImportFormat, Parser>> = {
  native: parseNative,
  openmhealth: parseOpenMhealth,
  fhir: parseFhir,
  'apple-health-xml': parseAppleHealthXml,
  'health-connect': parseHealthConnect,
  garmin: parseGarmin,
  fitbit: parseFitbit,
};
