import { MAX_OFFSET_MINUTES } from '@app/domain';
import type { ParseContext, ParsedBatch, Payload } from '../types';
import { BatchBuilder } from './batch-builder';
import { arrayOf, type JsonObject, numberOf, objectOf, readJson, textOf } from './json-fields';
import { granularityOf, instantIn, instantOf, offsetTextMinutes } from './time-fields';

// Android Health Connect StepsRecord, as apps serialize it: { records: [...] }.
const MANUAL_ENTRY = new Set<unknown>([3, '3', 'RECORDING_METHOD_MANUAL_ENTRY', 'MANUAL_ENTRY']);

/**
 * A ZoneOffset in minutes: `"+01:00"`, seconds (`3600`, as `ZoneOffset.totalSeconds`), or
 * `{ totalSeconds }`. Undefined when absent, null when unreadable.
 */
function zoneOffsetMinutes(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return undefined;
  const object = objectOf(value);
  if (object) return zoneOffsetMinutes(object.totalSeconds ?? object.id);
  // `+0100` is an offset; `-3600` (not a valid one) is seconds.
  const written = typeof value === 'string' ? offsetTextMinutes(value.trim()) : null;
  if (written !== null) return written;
  if (typeof value === 'string' && /[:Zz]/.test(value)) return null;
  const seconds = numberOf(value);
  return seconds !== null && Math.abs(seconds) <= MAX_OFFSET_MINUTES * 60 ? seconds / 60 : null;
}

/**
 * The app that wrote the record: `DataOrigin(packageName)` as the Jetpack API serializes it, or
 * the package name itself (react-native-health-connect's `dataOrigin: string`).
 */
function dataOriginOf(value: unknown): string {
  return textOf(value) ?? textOf(objectOf(value)?.packageName) ?? 'health-connect';
}

/** `lastModifiedTime` in ms, else `clientRecordVersion`, else 0. */
function versionOf(metadata: JsonObject | null): number {
  const modified = instantOf(metadata?.lastModifiedTime);
  if (modified) return modified.getTime();
  const version = numberOf(metadata?.clientRecordVersion);
  return version !== null && Number.isSafeInteger(version) && version >= 0 ? version : 0;
}

export async function* parseHealthConnect(
  payload: Payload,
  ctx: ParseContext,
): AsyncIterable<ParsedBatch> {
  const out = new BatchBuilder();
  const body = objectOf(await readJson(payload, ctx));
  if (!Array.isArray(body?.records)) out.reject({ reason: 'body needs a records array' });
  arrayOf(body?.records).forEach((raw, index) => {
    const reject = (reason: string) => out.reject({ index, reason });
    const record = objectOf(raw);
    if (!record) return reject('record must be an object');
    const startOffset = zoneOffsetMinutes(record.startZoneOffset);
    const endOffset = zoneOffsetMinutes(record.endZoneOffset);
    if (startOffset === null) return reject('startZoneOffset is not a zone offset');
    if (endOffset === null) return reject('endZoneOffset is not a zone offset');
    // Instants should end in Z or an offset; one that does not is read with the record's own
    // zone offset, else in the patient's zone.
    const start = instantIn(record.startTime, ctx.timezone, startOffset ?? null);
    const end = instantIn(record.endTime, ctx.timezone, endOffset ?? null);
    if (!start) return reject('startTime must be an ISO 8601 time');
    if (!end) return reject('endTime must be an ISO 8601 time');
    const steps = numberOf(record.count);
    if (steps === null) return reject('count must be a number');
    const metadata = objectOf(record.metadata);
    const device = objectOf(metadata?.device);
    const deviceName = [textOf(device?.manufacturer), textOf(device?.model)]
      .filter((part) => part !== null)
      .join(' ');
    const id = textOf(metadata?.id);
    out.sample({
      source: { name: dataOriginOf(metadata?.dataOrigin), device: deviceName || null },
      start,
      end,
      steps,
      activeMinutes: null,
      activityType: null,
      manual: MANUAL_ENTRY.has(metadata?.recordingMethod),
      granularity: granularityOf(start, end),
      // An app that edits a record keeps its id; lastModifiedTime says which version is newer.
      record: id ? { id: `health-connect:${id}`, revision: versionOf(metadata) } : null,
      ref: { index },
    });
  });
  yield* out.finish();
}
