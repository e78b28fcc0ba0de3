import type { ImportFormat } from '@app/domain';
import { garminUserIds } from './parsers/garmin';
import { googleHealthBodyProblem } from './parsers/google-health';
import { withingsBodyProblem } from './parsers/withings';

/** The most samples one native import may carry. */
export const NATIVE_MAX_SAMPLES = 10_000;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A quick check of a JSON payload's outer shape, done while the client waits: a payload that
 * is not even of its declared format is refused at once (422). Each record is checked later by
 * the worker, which reports a reason per rejected record instead of refusing the whole import.
 */
export function envelopeProblem(
  format: Exclude<ImportFormat, 'apple-health-xml'>,
  body: unknown,
): string | null {
  switch (format) {
    case 'native': {
      if (!isObject(body)) return 'the body must be an object';
      const source = body.source;
      if (
        !isObject(source) ||
        typeof source.name !== 'string' ||
        source.name.length === 0 ||
        source.name.length > 200
      ) {
        return 'source.name must be a string of 1 to 200 characters';
      }
      if (
        source.device !== undefined &&
        source.device !== null &&
        typeof source.device !== 'string'
      ) {
        return 'source.device must be a string';
      }
      const samples = body.samples;
      if (!Array.isArray(samples) || samples.length === 0)
        return 'samples must be a non-empty array';
      if (samples.length > NATIVE_MAX_SAMPLES)
        return `samples holds more than ${NATIVE_MAX_SAMPLES} entries`;
      for (let i = 0; i < samples.length; i++) {
        if (!isObject(samples[i])) return `samples[${i}] must be an object`;
      }
      return null;
    }
    case 'openmhealth':
      return isObject(body) || Array.isArray(body)
        ? null
        : 'the body must be a data point, an array of them, or a body';
    case 'fhir':
      return isObject(body) &&
        (body.resourceType === 'Bundle' || body.resourceType === 'Observation')
        ? null
        : 'the body must be a FHIR Bundle or Observation';
    case 'health-connect':
      return isObject(body) && Array.isArray(body.records)
        ? null
        : 'the body must be { "records": [...] }';
    case 'garmin': {
      if (!isObject(body) || !(Array.isArray(body.dailies) || Array.isArray(body.epochs))) {
        return 'the body must hold a dailies or an epochs array';
      }
      // Summaries name their Garmin account: one import is one patient's, so one account's.
      const users = garminUserIds(body);
      return users.length > 1
        ? `the summaries name ${users.length} Garmin users (${users.join(', ')}): send each user's summaries to their own patient`
        : null;
    }
    case 'fitbit':
      return isObject(body) &&
        (Array.isArray(body['activities-steps']) || isObject(body['activities-steps-intraday']))
        ? null
        : 'the body must hold activities-steps or activities-steps-intraday';
    case 'google-health':
      return googleHealthBodyProblem(body);
    case 'withings':
      return withingsBodyProblem(body);
  }
}
