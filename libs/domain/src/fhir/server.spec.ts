import type { Observation, Patient } from '@medplum/fhirtypes';
import { expectValidFhir, PHYSICAL_ACTIVITY_IG } from '../../../../test/support/fhir-validator';
import { FHIR_CANONICAL_BASE } from './codes';
import {
  capabilityStatement,
  CAPABILITY_STATEMENT_DATE,
  everythingBundle,
  operationOutcome,
  ownCodeSystems,
  searchsetBundle,
} from './server';

const BASE = 'https://api.sciatrack.example/fhir/R4';

describe('operationOutcome', () => {
  it('is one valid issue, with its expression when given', () => {
    const oo = operationOutcome('error', 'not-found', 'No Patient/123', 'Patient.id');
    expectValidFhir(oo);
    expect(oo).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'not-found',
          diagnostics: 'No Patient/123',
          expression: ['Patient.id'],
        },
      ],
    });
    const plain = operationOutcome('warning', 'informational', 'Nothing to say');
    expectValidFhir(plain);
    expect(plain.issue[0].expression).toBeUndefined();
    expect(operationOutcome('error', 'invalid', 'x', ['a', 'b']).issue[0].expression).toEqual([
      'a',
      'b',
    ]);
  });
});

describe('capabilityStatement', () => {
  const cs = capabilityStatement({
    baseUrl: BASE,
    version: '0.1.0',
    date: '2026-12-10',
    resources: [
      {
        type: 'Patient',
        interactions: ['read', 'search-type'],
        searchParams: [
          { name: 'identifier', type: 'token', documentation: 'The organization reference' },
        ],
        operations: [
          {
            name: 'everything',
            definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
          },
        ],
      },
      {
        type: 'Observation',
        interactions: ['read', 'search-type'],
        searchParams: [
          { name: 'patient', type: 'reference', documentation: 'Whose' },
          { name: 'date', type: 'date' },
        ],
      },
      { type: 'CarePlan', interactions: ['read'], searchParams: [] },
    ],
    operations: [
      { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' },
    ],
  });

  it('is a valid R4 server statement instantiating Bulk Data', () => {
    expectValidFhir(cs);
    expect(cs).toMatchObject({
      status: 'active',
      kind: 'instance',
      fhirVersion: '4.0.1',
      format: ['application/fhir+json'],
      date: '2026-12-10',
      instantiates: ['http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data'],
      software: { name: 'Sciatrack', version: '0.1.0' },
      implementation: { url: BASE },
    });
    expect(cs.rest).toHaveLength(1);
    expect(cs.rest![0].mode).toBe('server');
    expect(cs.rest![0].security!.description).toMatch(/Bearer/);
    expect(cs.rest![0].operation).toEqual([
      { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' },
    ]);
  });

  it('lists each resource with its interactions, search parameters and PA IG profiles', () => {
    const [patient, observation, carePlan] = cs.rest![0].resource!;
    expect(patient.interaction).toEqual([{ code: 'read' }, { code: 'search-type' }]);
    expect(patient.operation![0].name).toBe('everything');
    expect(patient.supportedProfile).toBeUndefined();
    expect(observation.searchParam).toEqual([
      { name: 'patient', type: 'reference', documentation: 'Whose' },
      { name: 'date', type: 'date' },
    ]);
    expect(observation.supportedProfile).toEqual([PHYSICAL_ACTIVITY_IG.profiles.timeMeasure]);
    expect(carePlan.supportedProfile).toEqual([PHYSICAL_ACTIVITY_IG.profiles.carePlan]);
    expect(carePlan.searchParam).toBeUndefined();
  });

  it('without a date uses the day its content last changed, and stays valid with no operations', () => {
    const bare = capabilityStatement({ baseUrl: BASE, version: '1', resources: [] });
    expectValidFhir(bare);
    expect(bare.date).toBe(CAPABILITY_STATEMENT_DATE);
    expect(bare.rest![0].resource).toBeUndefined();
  });
});

describe('searchsetBundle', () => {
  const patient: Patient = { resourceType: 'Patient', id: 'p1', active: true };
  const obs: Observation = {
    resourceType: 'Observation',
    id: 'o1',
    status: 'final',
    code: { text: 'x' },
    subject: { reference: 'Patient/p1' },
  };

  it('is a valid searchset with self and next links and fullUrls from the base', () => {
    const b = searchsetBundle({
      entries: [obs],
      included: [patient],
      selfUrl: `${BASE}/Observation?patient=p1`,
      nextUrl: `${BASE}/Observation?patient=p1&_cursor=abc`,
      baseUrl: `${BASE}/`,
      total: 7,
    });
    expectValidFhir(b);
    expect(b).toEqual({
      resourceType: 'Bundle',
      type: 'searchset',
      total: 7,
      link: [
        { relation: 'self', url: `${BASE}/Observation?patient=p1` },
        { relation: 'next', url: `${BASE}/Observation?patient=p1&_cursor=abc` },
      ],
      entry: [
        { fullUrl: `${BASE}/Observation/o1`, resource: obs, search: { mode: 'match' } },
        { fullUrl: `${BASE}/Patient/p1`, resource: patient, search: { mode: 'include' } },
      ],
    });
  });

  it('an empty page has no entry and no next link', () => {
    const b = searchsetBundle({ entries: [], selfUrl: `${BASE}/Goal?patient=p1`, baseUrl: BASE });
    expectValidFhir(b);
    expect(b.entry).toBeUndefined();
    expect(b.link).toEqual([{ relation: 'self', url: `${BASE}/Goal?patient=p1` }]);
  });

  it('$everything has the same shape', () => {
    const input = {
      entries: [patient, obs],
      selfUrl: `${BASE}/Patient/p1/$everything`,
      baseUrl: BASE,
    };
    expect(everythingBundle(input)).toEqual(searchsetBundle(input));
    expectValidFhir(everythingBundle(input));
  });
});

describe('ownCodeSystems', () => {
  it('are valid, complete and all under our canonical base', () => {
    const systems = ownCodeSystems();
    expect(systems.length).toBeGreaterThan(5);
    for (const cs of systems) {
      expectValidFhir(cs);
      expect(cs.url).toBe(`${FHIR_CANONICAL_BASE}/CodeSystem/${cs.id}`);
      expect(cs.count).toBe(cs.concept!.length);
      expect(new Set(cs.concept!.map((c) => c.code)).size).toBe(cs.concept!.length);
    }
  });
});
