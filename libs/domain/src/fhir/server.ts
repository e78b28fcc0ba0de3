// The FHIR server's own resources: OperationOutcome, CapabilityStatement, Bundles, and our code
// systems as CodeSystem resources.

import type {
  Bundle,
  BundleEntry,
  CapabilityStatement,
  CapabilityStatementRestResource,
  CodeSystem,
  OperationOutcome,
  OperationOutcomeIssue,
  Resource,
  ResourceType,
} from '@medplum/fhirtypes';
import { PROGRESSION_FLAGS } from '../adherence/types';
import { ALERT_STATUSES } from '../alerts';
import { PAIN_CONTEXTS, PAIN_SITES } from '../pain';
import { RULE_IDS, SEVERITIES } from '../rules/types';
import {
  ALERT_STATUS_CODE_SYSTEM_URL,
  ALERT_STATUS_DISPLAY,
  BOTHERSOMENESS_DISPLAY,
  BULK_DATA_CAPABILITY_URL,
  COMPONENT_DISPLAY,
  OBSERVATION_COMPONENT_CODE_SYSTEM_URL,
  PAIN_CONTEXT_CODE_SYSTEM_URL,
  PAIN_CONTEXT_DISPLAY,
  PAIN_SITE_CODE_SYSTEM_URL,
  PAIN_SITE_DISPLAY,
  PA_IG,
  PROGRESSION_FLAG_CODE_SYSTEM_URL,
  PROGRESSION_FLAG_DISPLAY,
  RULE_CODE_SYSTEM_URL,
  RULE_DISPLAY,
  SEVERITY_CODE_SYSTEM_URL,
  SEVERITY_DISPLAY,
  STARTBACK_CODE_SYSTEM_URL,
  STRATUM_DISPLAY,
} from './codes';

// ---- OperationOutcome ---------------------------------------------------------------------

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueType = OperationOutcomeIssue['code'];

/** One issue: `operationOutcome('error', 'not-found', 'No Patient/123')`. */
export function operationOutcome(
  severity: IssueSeverity,
  code: IssueType,
  diagnostics: string,
  expression?: string | string[],
): OperationOutcome {
  const expressions = expression === undefined ? [] : [expression].flat();
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity,
        code,
        diagnostics,
        ...(expressions.length > 0 ? { expression: expressions } : {}),
      },
    ],
  };
}

// ---- CapabilityStatement ------------------------------------------------------------------

export type SearchParamType = NonNullable<
  CapabilityStatementRestResource['searchParam']
>[number]['type'];
export type TypeInteraction = NonNullable<
  CapabilityStatementRestResource['interaction']
>[number]['code'];

export interface CapabilityOperationInput {
  /** Without `$`: `export`, `everything`. */
  name: string;
  /** The OperationDefinition canonical. */
  definition: string;
  documentation?: string;
}

export interface CapabilityResourceInput {
  /** A FHIR resource type name (`Patient`). */
  type: string;
  interactions: TypeInteraction[];
  searchParams: { name: string; type: SearchParamType; documentation?: string }[];
  /** Instance- or type-level operations on this resource (`Patient/$everything`). */
  operations?: CapabilityOperationInput[];
  /** Profiles beyond the PA IG ones added for CarePlan, Goal and Observation. */
  supportedProfiles?: string[];
}

/**
 * The day the statement's content last changed (CapabilityStatement.date is required). Update
 * it with the capabilities; a caller may pass its own `date` instead.
 */
export const CAPABILITY_STATEMENT_DATE = '2026-12-03';

export interface CapabilityInput {
  /** The FHIR base the statement describes (`https://api.example/fhir/R4`). */
  baseUrl: string;
  /** The software's version (CapabilityStatement.software.version). */
  version: string;
  /** FHIR dateTime; CAPABILITY_STATEMENT_DATE when absent (libs/domain never reads the clock). */
  date?: string;
  resources: CapabilityResourceInput[];
  /** System-level operations (`$export`). */
  operations?: CapabilityOperationInput[];
  /** Replaces the default text of rest.security.description. */
  securityDescription?: string;
}

const SECURITY_DESCRIPTION =
  'Every request needs an API key sent as a Bearer token (Authorization: Bearer <key>). A key belongs to one organization and sees only the patients its role may see.';

/** The PA IG profiles our resources follow, by resource type. */
export const PA_SUPPORTED_PROFILES: Readonly<Record<string, readonly string[]>> = {
  CarePlan: [PA_IG.profiles.carePlan],
  Goal: [PA_IG.profiles.goal],
  Observation: [PA_IG.profiles.timeMeasure],
};

function operations(ops: CapabilityOperationInput[]) {
  return ops.map((op) => ({
    name: op.name,
    definition: op.definition,
    ...(op.documentation ? { documentation: op.documentation } : {}),
  }));
}

export function capabilityStatement(input: CapabilityInput): CapabilityStatement {
  const resource: CapabilityStatementRestResource[] = input.resources.map((r) => {
    const profiles = [...(PA_SUPPORTED_PROFILES[r.type] ?? []), ...(r.supportedProfiles ?? [])];
    return {
      type: r.type as ResourceType,
      ...(profiles.length > 0 ? { supportedProfile: [...new Set(profiles)] } : {}),
      ...(r.interactions.length > 0
        ? { interaction: r.interactions.map((code) => ({ code })) }
        : {}),
      ...(r.searchParams.length > 0
        ? {
            searchParam: r.searchParams.map((p) => ({
              name: p.name,
              type: p.type,
              ...(p.documentation ? { documentation: p.documentation } : {}),
            })),
          }
        : {}),
      ...(r.operations && r.operations.length > 0 ? { operation: operations(r.operations) } : {}),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    experimental: false,
    date: input.date ?? CAPABILITY_STATEMENT_DATE,
    publisher: 'Sciatrack',
    description:
      'Read-only FHIR R4 access to Sciatrack home exercise programs, activity, pain and outcome records, with Bulk Data export.',
    kind: 'instance',
    instantiates: [BULK_DATA_CAPABILITY_URL],
    software: { name: 'Sciatrack', version: input.version },
    implementation: { description: 'Sciatrack FHIR API', url: input.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        security: { description: input.securityDescription ?? SECURITY_DESCRIPTION },
        ...(resource.length > 0 ? { resource } : {}),
        ...(input.operations && input.operations.length > 0
          ? { operation: operations(input.operations) }
          : {}),
      },
    ],
  };
}

// ---- Bundles ------------------------------------------------------------------------------

export interface SearchsetInput {
  /** The matches, in order. */
  entries: Resource[];
  /** Resources added by `_include` / `_revinclude` (search.mode `include`). */
  included?: Resource[];
  selfUrl: string;
  nextUrl?: string;
  /** The FHIR base for fullUrl: `${baseUrl}/${type}/${id}`. */
  baseUrl: string;
  total?: number;
}

/** A searchset's entry for a resource: its full URL on `baseUrl`, and how it was found. */
export function searchsetEntry(
  baseUrl: string,
  resource: Resource,
  mode: 'match' | 'include' = 'match',
): BundleEntry {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    ...(resource.id ? { fullUrl: `${base}/${resource.resourceType}/${resource.id}` } : {}),
    resource,
    search: { mode },
  };
}

export function searchsetBundle(input: SearchsetInput): Bundle {
  const entries = [
    ...input.entries.map((r) => searchsetEntry(input.baseUrl, r, 'match')),
    ...(input.included ?? []).map((r) => searchsetEntry(input.baseUrl, r, 'include')),
  ];
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(input.total !== undefined ? { total: input.total } : {}),
    link: [
      { relation: 'self', url: input.selfUrl },
      ...(input.nextUrl ? [{ relation: 'next', url: input.nextUrl }] : []),
    ],
    ...(entries.length > 0 ? { entry: entries } : {}),
  };
}

/**
 * `Patient/$everything`: FHIR R4 returns a searchset Bundle of the patient's compartment, so
 * the shape is the searchset's (every entry a match), paged by `next` links the same way.
 */
export function everythingBundle(input: SearchsetInput): Bundle {
  return searchsetBundle(input);
}

// ---- our code systems ---------------------------------------------------------------------

function codeSystem(
  id: string,
  url: string,
  title: string,
  description: string,
  concepts: { code: string; display: string }[],
): CodeSystem {
  return {
    resourceType: 'CodeSystem',
    id,
    url,
    name: `Sciatrack${id
      .split('-')
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join('')}`,
    title,
    status: 'active',
    experimental: false,
    publisher: 'Sciatrack',
    description,
    caseSensitive: true,
    content: 'complete',
    count: concepts.length,
    concept: concepts,
  };
}

/**
 * Our fixed code systems (all but the exercise catalog, which is data: exerciseCodeSystem),
 * for a server to serve at their canonical URLs.
 */
export function ownCodeSystems(): CodeSystem[] {
  return [
    codeSystem(
      'progression-flag',
      PROGRESSION_FLAG_CODE_SYSTEM_URL,
      'Sciatrack progression flags',
      'Suggestions computed from adherence and activity for the clinician; they never change a prescription.',
      PROGRESSION_FLAGS.map((code) => ({ code, display: PROGRESSION_FLAG_DISPLAY[code] })),
    ),
    codeSystem(
      'rule',
      RULE_CODE_SYSTEM_URL,
      'Sciatrack clinical rules',
      'The safety and outcome rules whose findings and alerts Sciatrack raises.',
      RULE_IDS.map((code) => ({ code, display: RULE_DISPLAY[code] })),
    ),
    codeSystem(
      'severity',
      SEVERITY_CODE_SYSTEM_URL,
      'Sciatrack finding severity',
      'How serious a rule finding is; positive marks a good sign.',
      SEVERITIES.map((code) => ({ code, display: SEVERITY_DISPLAY[code] })),
    ),
    codeSystem(
      'alert-status',
      ALERT_STATUS_CODE_SYSTEM_URL,
      'Sciatrack alert status',
      'Where an alert stands in its handling.',
      ALERT_STATUSES.map((code) => ({ code, display: ALERT_STATUS_DISPLAY[code] })),
    ),
    codeSystem(
      'pain-site',
      PAIN_SITE_CODE_SYSTEM_URL,
      'Sciatrack pain sites',
      'The most distal site with pain, from the spine outward.',
      PAIN_SITES.map((code) => ({ code, display: PAIN_SITE_DISPLAY[code] })),
    ),
    codeSystem(
      'pain-context',
      PAIN_CONTEXT_CODE_SYSTEM_URL,
      'Sciatrack pain report context',
      'When a pain report was given, relative to the exercise sessions.',
      PAIN_CONTEXTS.map((code) => ({ code, display: PAIN_CONTEXT_DISPLAY[code] })),
    ),
    codeSystem(
      'observation-component',
      OBSERVATION_COMPONENT_CODE_SYSTEM_URL,
      'Sciatrack observation components',
      'What a component of a Sciatrack observation holds.',
      Object.entries(COMPONENT_DISPLAY).map(([code, display]) => ({ code, display })),
    ),
    codeSystem(
      'startback',
      STARTBACK_CODE_SYSTEM_URL,
      'Sciatrack STarT Back answers and strata',
      'The answer levels of STarT Back item 9 and the risk groups of the score.',
      [
        ...Object.entries(BOTHERSOMENESS_DISPLAY).map(([code, display]) => ({ code, display })),
        ...Object.entries(STRATUM_DISPLAY).map(([code, display]) => ({ code, display })),
      ],
    ),
  ];
}
