import { parseImport, type Payload, payloadOf } from '../src';
import {
  collect,
  fixtureText,
  importFixture,
  contextIn,
  row,
  rowsOf,
  sortedRejections,
  stepsByDayAndSource,
} from './fixture-import';

const PARIS = 'Europe/Paris';
const PHONE = 'Anne’s iPhone';
const WATCH = 'Anne’s Apple Watch';

/** A payload cut into chunks of `size` bytes, counting how many were read. */
function chunked(data: Buffer, size: number): { payload: Payload; chunksRead: () => number } {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) pieces.push(data.subarray(at, at + size));
  let read = 0;
  async function* payload(): Payload {
    for await (const piece of payloadOf(...pieces)) {
      read += 1;
      yield piece;
    }
  }
  return { payload: payload(), chunksRead: () => read };
}

function appleDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000`;
}

/** An export of `count` one-minute StepCount records, with heart rates in between to skip. */
function generatedExport(count: number): { xml: Buffer; steps: number } {
  const head = fixtureText('apple-health/export.xml').split('<HealthData')[0];
  const parts = [head, '<HealthData locale="fr_FR">\n'];
  const device =
    '&lt;&lt;HKDevice: 0x2837a1b30&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, ' +
    'hardware:iPhone15,3, software:17.1&gt;';
  const first = Date.parse('2026-06-01T00:00:00Z');
  let steps = 0;
  let start = appleDate(first);
  for (let i = 0; i < count; i += 1) {
    const end = appleDate(first + (i + 1) * 60_000);
    const value = (i * 7) % 120;
    steps += value;
    parts.push(
      ` <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Anne’s iPhone" ` +
        `sourceVersion="17.1" device="${device}" unit="count" creationDate="${end}" ` +
        `startDate="${start}" endDate="${end}" value="${value}"/>\n`,
    );
    if (i % 10 === 0) {
      parts.push(
        ` <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Anne’s Apple Watch" ` +
          `unit="count/min" startDate="${start}" endDate="${start}" value="88"/>\n`,
      );
    }
    start = end;
  }
  parts.push('</HealthData>\n');
  return { xml: Buffer.from(parts.join('')), steps };
}

describe('Apple Health export.xml parser', () => {
  it('reads step counts and walks from an export with the DOCTYPE internal subset', async () => {
    const result = await importFixture('apple-health-xml', 'apple-health/export.xml', PARIS);
    const phone = { device: 'iPhone' };
    const watch = { device: 'Apple Watch' };

    expect(rowsOf(result.samples)).toEqual([
      // 01:50 CET to 03:10 CEST: 20 minutes on the day Paris springs forward.
      row(64, '2026-03-29T00:50:00Z', '2026-03-29T01:10:00Z', 388, WATCH, watch),
      // 02:40 CEST to 02:10 CET: 30 minutes on the day it falls back.
      row(65, '2026-10-25T00:40:00Z', '2026-10-25T01:10:00Z', 356, PHONE, phone),
      // Phone and watch over the same walk, the phone's record twice.
      row(69, '2026-11-02T16:00:00Z', '2026-11-02T16:30:00Z', 2480, PHONE, phone),
      row(70, '2026-11-02T16:00:00Z', '2026-11-02T16:30:00Z', 2610, WATCH, watch),
      row(71, '2026-11-02T16:00:00Z', '2026-11-02T16:30:00Z', 2480, PHONE, phone),
      // The walking workout: its minutes, no steps of its own.
      row(73, '2026-11-02T16:00:00Z', '2026-11-02T16:33:00Z', 0, WATCH, {
        ...watch,
        activeMinutes: 33,
        activityType: 'walking',
      }),
      // Typed into the Health app (HKWasUserEntered), value as the attribute string.
      row(79, '2026-11-03T09:00:00Z', '2026-11-03T09:45:00Z', 1200, 'Health', { manual: true }),
      row(88, '2026-11-08T08:00:00Z', '2026-11-08T10:30:00Z', 0, WATCH, {
        ...watch,
        activeMinutes: 150,
        activityType: 'hiking',
      }),
      row(91, '2026-11-08T08:00:00Z', '2026-11-08T08:10:00Z', 1130, PHONE, phone),
    ]);

    expect(stepsByDayAndSource(result.samples, PARIS)).toEqual({
      [`2026-03-29 ${WATCH} / Apple Watch`]: 388,
      [`2026-10-25 ${PHONE} / iPhone`]: 356,
      [`2026-11-02 ${PHONE} / iPhone`]: 4960,
      [`2026-11-02 ${WATCH} / Apple Watch`]: 2610,
      '2026-11-03 Health': 1200,
      [`2026-11-08 ${WATCH} / Apple Watch`]: 0,
      [`2026-11-08 ${PHONE} / iPhone`]: 1130,
    });

    // Heart rate, distance, blood pressure, strength training: skipped without a word.
    expect(sortedRejections(result.rejections)).toEqual([
      { line: 94, reason: 'starts in the future' },
      { line: 95, reason: 'startDate and endDate must be times like 2026-11-01 09:00:00 +0100' },
      { line: 96, reason: 'value must be a number' },
      { line: 97, reason: 'more than 100 steps a second' },
    ]);
  });

  it('gives the same result when chunks split tags and multi-byte characters', async () => {
    const whole = await importFixture('apple-health-xml', 'apple-health/export.xml', PARIS);
    const { payload } = chunked(Buffer.from(fixtureText('apple-health/export.xml')), 7);
    const pieces = await collect(parseImport('apple-health-xml', payload, contextIn(PARIS)));

    expect(rowsOf(pieces.samples)).toEqual(rowsOf(whole.samples));
    expect(pieces.rejections).toEqual(whole.rejections);
  });

  it('streams a large export in batches of at most 5,000 samples', async () => {
    const count = 50_000;
    const { xml, steps: expectedSteps } = generatedExport(count);
    const { payload, chunksRead } = chunked(xml, 64 * 1024);
    const totalChunks = Math.ceil(xml.length / (64 * 1024));

    let samples = 0;
    let steps = 0;
    let largest = 0;
    let chunksAtFirstBatch = 0;
    for await (const batch of parseImport('apple-health-xml', payload, contextIn(PARIS))) {
      if (samples === 0) chunksAtFirstBatch = chunksRead();
      expect(batch.rejections).toEqual([]);
      largest = Math.max(largest, batch.samples.length);
      samples += batch.samples.length;
      steps += batch.samples.reduce((sum, s) => sum + s.steps, 0);
    }

    expect(largest).toBeLessThanOrEqual(5_000);
    expect(samples).toBe(count);
    expect(steps).toBe(expectedSteps);
    // Batches leave while the document is still being read: it is never held whole.
    expect(chunksAtFirstBatch).toBeLessThan(totalChunks / 5);
  });

  it('stops at a well-formedness error and says on which line', async () => {
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<HealthData locale="fr_FR">',
      ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count" startDate="2026-11-02 17:00:00 +0100" endDate="2026-11-02 17:30:00 +0100" value="2480"/>',
      ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" value="12" value="13"/>',
      ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count" startDate="2026-11-02 18:00:00 +0100" endDate="2026-11-02 18:30:00 +0100" value="310"/>',
      '</HealthData>',
    ].join('\n');
    const { payload } = chunked(Buffer.from(xml), 1024);
    const result = await collect(parseImport('apple-health-xml', payload, contextIn(PARIS)));

    expect(rowsOf(result.samples)).toEqual([
      row(3, '2026-11-02T16:00:00Z', '2026-11-02T16:30:00Z', 2480, 'iPhone'),
    ]);
    expect(result.rejections).toEqual([
      { line: 4, reason: expect.stringMatching(/^export\.xml is not well-formed: .*value/) },
    ]);
  });
});
