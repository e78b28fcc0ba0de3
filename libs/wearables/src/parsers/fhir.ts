import { localDateOf, localDayBounds, type PainSide, type PainSite } from '@app/domain';
import { FUTURE_ALLOWANCE_MS } from '../sample-checks';
import type { ParseContext, ParsedBatch, Payload, SampleRecord, SampleSource } from '../types';
import { BatchBuilder } from './batch-builder';
import { arrayOf, type JsonObject, numberOf, objectOf, readJson, textOf } from './json-fields';
import { bareDateOf, granularityOf, instantOf, readDateTime } from './time-fields';

// FHIR R4 Observations: LOINC 55423-8 (steps over a period), 41950-7 (steps in a day),
// 72514-3 (pain severity 0–10, reported by the patient).
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const STEPS_IN_PERIOD = '55423-8';
const STEPS_IN_DAY = '41950-7';
const PAIN_SEVERITY = '72514-3';

// Maps rather than object literals: a code such as 'constructor' must not find a prototype
// member. LOINC answer list LL2335-9 (0–10 numeric rating scale).
const PAIN_ANSWERS = new Map<string, number>([
  ['LA6111-4', 0],
  ['LA6112-2', 1],
  ['LA6113-0', 2],
  ['LA6114-8', 3],
  ['LA6115-5', 4],
  ['LA10137-0', 5],
  ['LA10138-8', 6],
  ['LA10139-6', 7],
  ['LA10140-4', 8],
  ['LA10141-2', 9],
  ['LA13942-0', 10],
]);

const SITE_CODES = new Map<string, PainSite>([
  ['37822005', 'low_back'],
  ['46862004', 'buttock'],
  ['68367000', 'thigh'],
  ['53840002', 'calf'],
  ['56459004', 'foot'],
]);

// Most distal first: a text naming several sites ("low back into the left calf") gives the
// farthest one, which is what the centralization rules compare.
const SITE_WORDS: [RegExp, PainSite][] = [
  [/\bfoot\b|\bfeet\b/, 'foot'],
  [/\bcalf\b|\bcalves\b|\blower leg\b/, 'calf'],
  [/\bthigh/, 'thigh'],
  [/\bbuttock|\bgluteal\b/, 'buttock'],
  [/\blow(er)? back\b|\blumbar\b/, 'low_back'],
];

// SNOMED CT laterality qualifiers: left, right, right and left.
const SIDE_CODES = new Map<string, PainSide>([
  ['7771000', 'left'],
  ['24028007', 'right'],
  ['51440002', 'both'],
]);

const MANUAL_WORDS = /manual|self[- ]?reported|user[- ]?entered|patient[- ]?reported/i;

interface Coding {
  system: string | null;
  code: string | null;
  display: string | null;
}

function codingsOf(concept: unknown): Coding[] {
  return arrayOf(objectOf(concept)?.coding).map((raw) => {
    const coding = objectOf(raw);
    return {
      system: textOf(coding?.system),
      code: typeof coding?.code === 'number' ? String(coding.code) : textOf(coding?.code),
      display: textOf(coding?.display),
    };
  });
}

function wordsOf(concept: unknown): string {
  const texts = [textOf(objectOf(concept)?.text), ...codingsOf(concept).map((c) => c.display)];
  return texts
    .filter((t): t is string => t !== null)
    .join(' | ')
    .toLowerCase();
}

function loincCodes(observation: JsonObject): string[] {
  return codingsOf(observation.code)
    .filter((c) => c.system === LOINC && c.code !== null)
    .map((c) => c.code as string);
}

function sourceOf(observation: JsonObject): SampleSource {
  return {
    name: textOf(objectOf(observation.meta)?.source) ?? 'fhir',
    device: textOf(objectOf(observation.device)?.display),
  };
}

// FHIR has no standard flag for typed-in values: look for one in the method or the tags.
function isManual(observation: JsonObject): boolean {
  const tags = arrayOf(objectOf(observation.meta)?.tag).map((tag) => {
    const coding = objectOf(tag);
    return `${textOf(coding?.code) ?? ''} ${textOf(coding?.display) ?? ''}`;
  });
  return [wordsOf(observation.method), ...tags].some((text) => MANUAL_WORDS.test(text));
}

// Units a count of steps is given in: UCUM annotations (`{steps}`), per day as the Physical
// Activity IG gives daily steps (`/d`, shown as "steps per day"), and their spellings.
const UCUM = 'http://unitsofmeasure.org';
const STEP_UNIT_CODES = new Set([
  '{steps}',
  '{step}',
  '{steps}/d',
  '{steps}/(24.h)',
  '/d',
  '1/d',
  '/(24.h)',
  '1/(24.h)',
]);
const STEP_UNIT_WORDS = /^(steps?|steps? ?(\/|per) ?(d|day|24 ?h))$/i;

// FHIR R4 `id`: what a server assigns, and what identifies the Observation here.
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

// Observation.status: only a result that stands is imported; entered-in-error withdraws one.
const STANDING_STATUSES = new Set(['final', 'amended', 'corrected']);

/**
 * The steps an Observation gives: its own value, or, when its code is not a steps code (a
 * panel), the value of a component coded as steps. Null code: no steps in it.
 */
function stepValueOf(observation: JsonObject): { code: string; value: JsonObject } | null {
  const own = loincCodes(observation).find((c) => c === STEPS_IN_PERIOD || c === STEPS_IN_DAY);
  if (own) return { code: own, value: observation };
  for (const raw of arrayOf(observation.component)) {
    const component = objectOf(raw);
    if (!component) continue;
    const code = loincCodes(component).find((c) => c === STEPS_IN_PERIOD || c === STEPS_IN_DAY);
    if (code) return { code, value: component };
  }
  return null;
}

/** A count of steps from valueQuantity (in a steps unit) or valueInteger, or why not. */
function stepsOf(value: JsonObject): number | string {
  const quantity = objectOf(value.valueQuantity);
  if (!quantity) {
    return (
      numberOf(value.valueInteger) ?? 'steps need a numeric valueQuantity.value or valueInteger'
    );
  }
  const steps = numberOf(quantity.value);
  if (steps === null) return 'valueQuantity.value must be a number';
  const system = textOf(quantity.system);
  const code = textOf(quantity.code);
  const unit = textOf(quantity.unit);
  if (code !== null && (system === null || system === UCUM)) {
    if (!STEP_UNIT_CODES.has(code)) {
      return `valueQuantity code ${code} is not a unit of steps ({steps}, /d, {steps}/d, /(24.h))`;
    }
  } else if (unit !== null && !STEP_UNIT_WORDS.test(unit) && !STEP_UNIT_CODES.has(unit)) {
    return `valueQuantity unit ${unit} is not a unit of steps`;
  } else if (code !== null && unit === null) {
    return `valueQuantity code ${code} of ${system} is not a unit of steps`;
  }
  return steps;
}

/**
 * The Observation as a record: its id, and `meta.lastUpdated` as its revision, so that an
 * amended or corrected version replaces the one stored and an entered-in-error one withdraws it.
 */
function recordOf(observation: JsonObject): SampleRecord | null {
  const id = textOf(observation.id);
  if (!id) return null;
  const updated = instantOf(objectOf(observation.meta)?.lastUpdated);
  return { id: `fhir:${id}`, revision: updated ? updated.getTime() : 0 };
}

function effectiveTimeOf(observation: JsonObject): unknown {
  return observation.effectiveDateTime ?? observation.effectiveInstant;
}

function periodOf(observation: JsonObject): { start: Date; end: Date } | null {
  const period = objectOf(observation.effectivePeriod);
  const start = instantOf(period?.start);
  const end = instantOf(period?.end);
  return start && end ? { start, end } : null;
}

function painIntensityOf(observation: JsonObject): number | null {
  if (observation.valueInteger !== undefined) return numberOf(observation.valueInteger);
  const quantity = objectOf(observation.valueQuantity);
  if (quantity) return numberOf(quantity.value);
  if (observation.valueString !== undefined) return numberOf(observation.valueString);
  const concept = objectOf(observation.valueCodeableConcept);
  if (!concept) return null;
  for (const coding of codingsOf(concept)) {
    if (coding.code === null) continue;
    const answer = PAIN_ANSWERS.get(coding.code);
    if (answer !== undefined) return answer;
    if (/^(10|\d)$/.test(coding.code)) return Number(coding.code);
  }
  return numberOf(concept.text);
}

function painSiteOf(bodySite: unknown): PainSite | null {
  const coded = codingsOf(bodySite)
    .filter((c) => c.system === SNOMED || c.system === null)
    .map((c) => (c.code ? SITE_CODES.get(c.code) : undefined))
    .filter((site): site is PainSite => site !== undefined);
  const words = wordsOf(bodySite);
  const named = SITE_WORDS.filter(([pattern]) => pattern.test(words)).map(([, site]) => site);
  const sites = [...coded, ...named];
  if (sites.length === 0) return null;
  const order: PainSite[] = ['low_back', 'buttock', 'thigh', 'calf', 'foot'];
  return sites.reduce((far, site) => (order.indexOf(site) > order.indexOf(far) ? site : far));
}

function painSideOf(bodySite: unknown): PainSide | null {
  const sides = new Set<PainSide>();
  for (const coding of codingsOf(bodySite)) {
    const side = coding.code ? SIDE_CODES.get(coding.code) : undefined;
    if (side) sides.add(side);
  }
  const words = wordsOf(bodySite);
  if (/\bboth\b|\bbilateral/.test(words)) sides.add('both');
  if (/\bleft\b/.test(words)) sides.add('left');
  if (/\bright\b/.test(words)) sides.add('right');
  if (sides.has('both') || (sides.has('left') && sides.has('right'))) return 'both';
  return sides.has('left') ? 'left' : sides.has('right') ? 'right' : null;
}

function observationsOf(body: unknown): { entries: unknown[]; problem: string | null } {
  const resource = objectOf(body);
  if (resource?.resourceType === 'Observation') return { entries: [resource], problem: null };
  if (resource?.resourceType === 'Bundle') {
    return { entries: arrayOf(resource.entry).map((e) => objectOf(e)?.resource), problem: null };
  }
  return { entries: [], problem: 'body must be a FHIR Bundle or Observation' };
}

export async function* parseFhir(payload: Payload, ctx: ParseContext): AsyncIterable<ParsedBatch> {
  const out = new BatchBuilder();
  const { entries, problem } = observationsOf(await readJson(payload, ctx));
  if (problem) out.reject({ reason: problem });
  entries.forEach((resource, index) => {
    const reject = (reason: string) => out.reject({ index, reason });
    const observation = objectOf(resource);
    if (!observation) return reject('entry has no resource');
    if (observation.resourceType !== 'Observation') {
      return reject(
        `entry is a ${textOf(observation.resourceType) ?? 'resource'}, not an Observation`,
      );
    }
    const id = observation.id;
    if (id !== undefined && !(typeof id === 'string' && FHIR_ID.test(id))) {
      return reject("id must be 1 to 64 letters, digits, '-' or '.' (a FHIR id)");
    }
    const codes = loincCodes(observation);
    const pain = codes.includes(PAIN_SEVERITY);
    const stepValue = pain ? null : stepValueOf(observation);
    if (!pain && !stepValue) {
      const shown = codes[0] ?? codingsOf(observation.code)[0]?.code ?? 'none';
      return reject(`unsupported observation code ${shown}`);
    }
    const status = textOf(observation.status);
    if (status === 'entered-in-error') {
      // The source withdraws a result: what this Observation stored before is removed.
      if (pain) {
        return reject(
          'a pain score entered in error is not withdrawn by an import: the clinician corrects the record',
        );
      }
      const record = recordOf(observation);
      if (!record) return reject('an entered-in-error observation needs the id it withdraws');
      return out.retract({ recordId: record.id, ref: { index } });
    }
    if (!status || !STANDING_STATUSES.has(status)) {
      return reject(
        `observation status is ${status ?? 'missing'}: only final, amended or corrected results are imported`,
      );
    }

    if (pain) {
      const externalId = textOf(observation.id);
      if (!externalId) return reject('pain observation needs an id');
      const effective = effectiveTimeOf(observation);
      if (effective === undefined) return reject('pain observation needs effectiveDateTime');
      const reportedAt = instantOf(effective);
      if (!reportedAt) {
        return reject('pain effectiveDateTime needs a time with an offset, not a bare date');
      }
      // The generic checks cover samples only; a pain report from the future is as wrong.
      if (reportedAt.getTime() > ctx.now.getTime() + FUTURE_ALLOWANCE_MS) {
        return reject('pain is reported in the future');
      }
      const intensity = painIntensityOf(observation);
      if (intensity === null || !Number.isInteger(intensity) || intensity < 0 || intensity > 10) {
        return reject('pain intensity must be a whole number from 0 to 10');
      }
      const mostDistalSite = painSiteOf(observation.bodySite);
      if (!mostDistalSite) {
        return reject('bodySite does not name low back, buttock, thigh, calf or foot');
      }
      return out.pain({
        externalId,
        reportedAt,
        intensity,
        mostDistalSite,
        side: painSideOf(observation.bodySite),
        ref: { index },
      });
    }

    if (!stepValue) return;
    const { code } = stepValue;
    const steps = stepsOf(stepValue.value);
    if (typeof steps === 'string') return reject(steps);
    const common = {
      source: sourceOf(observation),
      steps,
      activeMinutes: null,
      activityType: null,
      manual: isManual(observation),
      record: recordOf(observation),
      ref: { index },
    };
    const period = periodOf(observation);

    if (code === STEPS_IN_PERIOD) {
      if (!period) return reject(`${code} needs an effectivePeriod with start and end offsets`);
      return out.sample({
        ...common,
        ...period,
        granularity: granularityOf(period.start, period.end),
      });
    }

    // Daily steps: a bare date is a day of the patient's calendar; a time, the day it falls in.
    const effective = effectiveTimeOf(observation);
    const instant = instantOf(effective);
    const date = bareDateOf(effective) ?? (instant ? localDateOf(instant, ctx.timezone) : null);
    if (date) {
      return out.sample({ ...common, ...localDayBounds(date, ctx.timezone), granularity: 'day' });
    }
    if (period) return out.sample({ ...common, ...period, granularity: 'day' });
    if (effective !== undefined && readDateTime(effective)) {
      return reject('effectiveDateTime with a time needs an offset');
    }
    return reject(
      `${code} needs effectiveDateTime (a date or a time with an offset) or effectivePeriod`,
    );
  });
  yield* out.finish();
}
