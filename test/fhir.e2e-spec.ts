import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { bearer, factory } from './support/factories';
import {
  assertPhysicalActivityCarePlan,
  assertPhysicalActivityGoal,
  assertPhysicalActivitySteps,
  validateFhir,
} from './support/fhir-validator';
import { withService } from './support/service';
import { eventually } from './support/worker';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FHIR_JSON = /^application\/fhir\+json/;
const path = (url: string) => new URL(url).pathname + new URL(url).search;
// The FHIR face is outside the OpenAPI document, so the fuzz suite does not reach it: its own
// fuzz below. CI runs a fixed seed; FUZZ_SEED replays a run.
const SEED = process.env.FUZZ_SEED
  ? Number(process.env.FUZZ_SEED)
  : process.env.CI
    ? 20261203
    : Math.floor(Math.random() * 2 ** 31);
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const STEPS_DAYS = ['2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07'];

describe('FHIR R4: reads, searches and $everything', () => {
  const s = withService();
  let patientId: string;
  let firstProgramId: string;
  let programId: string;
  let odiId: string;
  let sessionId: string;

  const get = (path: string, key: string) =>
    s.t.http.get(`/fhir/R4/${path}`).set(bearer(key)).set('Accept', 'application/fhir+json');

  /** Every page of a search, following `next` links; each resource validated. */
  async function allPages(path: string, key: string): Promise<Json[]> {
    const resources: Json[] = [];
    let url: string | undefined = `/fhir/R4/${path}`;
    for (let pages = 0; url && pages < 100; pages++) {
      const res = await s.t.http.get(url).set(bearer(key)).expect(200);
      expect(res.headers['content-type']).toMatch(FHIR_JSON);
      const bundle = res.body as Json;
      validateFhir(bundle);
      expect(bundle.type).toBe('searchset');
      for (const entry of bundle.entry ?? []) {
        validateFhir(entry.resource);
        expect(entry.fullUrl).toMatch(
          new RegExp(`/fhir/R4/${entry.resource.resourceType}/${entry.resource.id}$`),
        );
        resources.push(entry.resource);
      }
      const next = (bundle.link as Json[]).find((l) => l.relation === 'next')?.url as
        string | undefined;
      url = next ? new URL(next).pathname + new URL(next).search : undefined;
    }
    return resources;
  }

  beforeAll(async () => {
    const { t, c } = s;
    const f = factory(t.http);
    const patient = await f.patient(c.adminKey, {
      clinicianId: c.clinician.id,
      timezone: 'America/New_York',
      externalRef: `MRN-${randomUUID().slice(0, 8)}`,
    });
    patientId = patient.id;
    await f.enroll(c.adminKey, patientId, c.clientApp.id);
    const first = await t.http
      .post(`/v1/patients/${patientId}/programs`)
      .set(bearer(c.adminKey))
      .send({ startDate: '2026-10-01', items: [{ exerciseCode: 'prone_press_up' }] })
      .expect(201);
    firstProgramId = first.body.id;
    const second = await t.http
      .post(`/v1/patients/${patientId}/programs`)
      .set(bearer(c.adminKey))
      .send({
        startDate: '2026-10-02',
        items: [
          { exerciseCode: 'prone_press_up', holdSeconds: 10, timesPerDay: 6 },
          { exerciseCode: 'bird_dog', sets: 2, reps: 10, daysPerWeek: 3 },
        ],
        walkingGoal: { dailySteps: 4000 },
      })
      .expect(201);
    programId = second.body.id;
    const session = await t.http
      .post(`/v1/patients/${patientId}/sessions`)
      .set(bearer(c.appKey))
      .send({
        clientRef: randomUUID(),
        performedAt: '2026-10-05T14:00:00Z',
        durationMinutes: 15,
        items: [
          { exerciseCode: 'prone_press_up', reps: 10, holdSeconds: 10 },
          { exerciseCode: 'bird_dog', sets: 2, reps: 10 },
        ],
      })
      .expect(201);
    sessionId = session.body.id;
    await f.painReport(c.appKey, patientId, {
      reportedAt: '2026-10-04T12:00:00Z',
      intensity: 3,
      mostDistalSite: 'low_back',
      context: 'baseline',
    });
    // Pain farther down the leg: findings, an alert.
    await f.painReport(c.appKey, patientId, {
      reportedAt: '2026-10-06T12:00:00Z',
      intensity: 6,
      mostDistalSite: 'calf',
      side: 'left',
      context: 'baseline',
    });
    const odi = await t.http
      .post(`/v1/patients/${patientId}/questionnaires`)
      .set(bearer(c.appKey))
      .send({
        instrument: 'odi',
        completedAt: '2026-10-06T15:00:00Z',
        answers: { sections: [2, 1, 2, 3, 1, null, 2, 0, 1, 2] },
      })
      .expect(201);
    odiId = odi.body.id;
    await t.http
      .post(`/v1/patients/${patientId}/activity-imports?format=native`)
      .set(bearer(c.appKey))
      .send({
        source: { name: 'FHIR test phone' },
        samples: STEPS_DAYS.map((day, i) => ({
          start: `${day}T16:00:00Z`,
          end: `${day}T16:30:00Z`,
          steps: 1000 + i,
        })),
      })
      .expect(202);
    await eventually(async () => {
      const [{ n }] = await t.db.query(
        'SELECT count(*)::int AS n FROM activity_daily WHERE patient_id = $1',
        [patientId],
      );
      return n === STEPS_DAYS.length;
    });
    await t.db.query(
      `INSERT INTO patient_progress (organization_id, patient_id, as_of, flags, data_days_30, computed_at)
       VALUES ($1, $2, '2026-10-07', $3, 5, now())
       ON CONFLICT (organization_id, patient_id) DO UPDATE SET flags = EXCLUDED.flags`,
      [
        c.org.id,
        patientId,
        JSON.stringify([{ flag: 'HOLD_PROGRESSION_READY', since: '2026-10-06', evidence: {} }]),
      ],
    );
  });

  it('describes itself in a CapabilityStatement anyone may read', async () => {
    const res = await s.t.http.get('/fhir/R4/metadata').expect(200);
    expect(res.headers['content-type']).toMatch(FHIR_JSON);
    validateFhir(res.body);
    expect(res.body.fhirVersion).toBe('4.0.1');
    const resources = res.body.rest[0].resource as Json[];
    const types = resources.map((r) => r.type);
    const operationsOf = (type: string) =>
      (resources.find((r) => r.type === type)?.operation as Json[] | undefined)?.map((o) => o.name);
    expect(operationsOf('Patient')).toEqual(['everything', 'export']);
    expect(operationsOf('Group')).toEqual(['export']);
    expect(types).toEqual(
      expect.arrayContaining([
        'Patient',
        'CarePlan',
        'Goal',
        'Observation',
        'QuestionnaireResponse',
        'Procedure',
        'Flag',
        'DetectedIssue',
        'CodeSystem',
        'Group',
      ]),
    );
  });

  it('serves a pseudonymous Patient to the keys that see it, 404 to others, 403 to dashboards', async () => {
    const { c } = s;
    for (const key of [c.adminKey, c.clinicianKey, c.appKey]) {
      const res = await get(`Patient/${patientId}`, key).expect(200);
      validateFhir(res.body);
      expect(Object.keys(res.body).sort()).not.toEqual(
        expect.arrayContaining(['name', 'birthDate', 'address', 'telecom']),
      );
      expect(res.body.identifier[0].value).toMatch(/^MRN-/);
    }
    for (const key of [c.otherClinicianKey, c.otherAppKey]) {
      const res = await get(`Patient/${patientId}`, key).expect(404);
      expect(res.headers['content-type']).toMatch(FHIR_JSON);
      validateFhir(res.body);
      expect(res.body.issue[0].code).toBe('not-found');
    }
    const dash = await get(`Patient/${patientId}`, c.dashboardKey).expect(403);
    expect(dash.body.resourceType).toBe('OperationOutcome');
    const anonymous = await s.t.http.get(`/fhir/R4/Patient/${patientId}`).expect(401);
    expect(anonymous.body.resourceType).toBe('OperationOutcome');
    // Every read is audited with the patient it read.
    const audited = await s.t.db.query(
      `SELECT action, outcome FROM audit_log WHERE patient_id = $1 AND action = 'fhir.read'`,
      [patientId],
    );
    expect(audited.filter((a: Json) => a.outcome === 'success').length).toBeGreaterThanOrEqual(3);
  });

  it('finds patients by identifier and pages the organization by keyset', async () => {
    const { c } = s;
    const me = await get(`Patient/${patientId}`, c.adminKey).expect(200);
    const byRef = await get(`Patient?identifier=${me.body.identifier[0].value}`, c.adminKey).expect(
      200,
    );
    expect(byRef.body.entry.map((e: Json) => e.resource.id)).toEqual([patientId]);
    const all = await allPages('Patient?_count=1', c.adminKey);
    const ids = all.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining([patientId, c.patient.id, c.otherPatient.id]));
    // A clinician sees only their own patients.
    const own = await allPages('Patient', c.otherClinicianKey);
    expect(own.map((p) => p.id)).toEqual([c.otherPatient.id]);
  });

  it('serves daily steps per patient-local day as the Physical Activity IG has them, paged and sorted', async () => {
    const { c } = s;
    const steps = await allPages(
      `Observation?patient=${patientId}&code=http://loinc.org|41950-7&_count=2`,
      c.clinicianKey,
    );
    expect(steps).toHaveLength(STEPS_DAYS.length);
    for (const [i, obs] of steps.entries()) {
      assertPhysicalActivitySteps(obs);
      expect(obs.valueQuantity.value).toBe(1000 + i);
      expect(obs.subject.reference).toBe(`Patient/${patientId}`);
    }
    // New York days: the period starts at local midnight (UTC-4 in October).
    expect(steps[0].effectivePeriod?.start ?? steps[0].effectiveDateTime).toMatch(
      /^2026-10-03T00:00:00(\.000)?-04:00$/,
    );
    const newestFirst = await allPages(
      `Observation?patient=${patientId}&code=41950-7&_sort=-date`,
      c.clinicianKey,
    );
    expect(newestFirst.map((o) => o.id)).toEqual(steps.map((o) => o.id).reverse());
    const window = await allPages(
      `Observation?patient=${patientId}&code=41950-7&date=ge2026-10-04&date=le2026-10-06`,
      c.clinicianKey,
    );
    expect(window.map((o) => o.valueQuantity.value)).toEqual([1001, 1002, 1003]);
    const read = await get(`Observation/${steps[0].id}`, c.appKey).expect(200);
    expect(read.body).toEqual(steps[0]);
  });

  it('serves pain scores with the most distal site and side, and the ODI with its answers', async () => {
    const { c } = s;
    const pains = await allPages(`Observation?patient=${patientId}&code=72514-3`, c.appKey);
    expect(pains).toHaveLength(2);
    expect(pains.map((p) => p.valueInteger ?? p.valueQuantity?.value)).toEqual([3, 6]);
    const calf = pains[1];
    expect(calf.bodySite).toBeDefined();
    expect(JSON.stringify(calf.bodySite).toLowerCase()).toMatch(/calf/);
    expect(JSON.stringify(calf.bodySite).toLowerCase()).toMatch(/left/);
    const all = await allPages(`Observation?patient=${patientId}`, c.appKey);
    expect(all).toHaveLength(STEPS_DAYS.length + 2 + 1);
    const odi = all.find((o) => o.id === odiId);
    expect(odi).toBeDefined();
    expect(odi!.derivedFrom[0].reference).toBe(`QuestionnaireResponse/${odiId}`);
    const qr = await get(`QuestionnaireResponse/${odiId}`, c.appKey).expect(200);
    validateFhir(qr.body);
    expect(qr.body.status).toBe('completed');
    // Nine answered sections; the blank one is left out.
    expect(JSON.stringify(qr.body.item)).toBeTruthy();
    const answers = (qr.body.item as Json[]).flatMap(function flat(i: Json): Json[] {
      return [...(i.answer ?? []), ...((i.item as Json[] | undefined) ?? []).flatMap(flat)];
    });
    expect(answers.filter((a) => a.valueInteger !== undefined)).toHaveLength(9);
  });

  it('serves programs as CarePlans coded from the exercise CodeSystem, with the walking Goal', async () => {
    const { c } = s;
    const plans = await allPages(`CarePlan?patient=${patientId}`, c.clinicianKey);
    expect(plans.map((p) => p.id)).toEqual([firstProgramId, programId]);
    for (const plan of plans) assertPhysicalActivityCarePlan(plan);
    const [old, current] = plans;
    expect(old.status).not.toBe('active');
    // The pain farther down the leg paused the current program: on hold, as /v1 shows it.
    const v1 = await s.t.http
      .get(`/v1/patients/${patientId}/programs/active`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    expect(v1.body.id).toBe(programId);
    expect(v1.body.status).toBe('paused');
    expect(current.status).toBe('on-hold');
    expect(current.replaces[0].reference).toBe(`CarePlan/${firstProgramId}`);
    const codeSystem = await get('CodeSystem/exercise', c.appKey).expect(200);
    validateFhir(codeSystem.body);
    const known = new Set((codeSystem.body.concept as Json[]).map((k) => k.code));
    const coded = (current.activity as Json[]).flatMap(
      (a) => (a.detail?.code?.coding as Json[] | undefined) ?? [],
    );
    const exerciseCodings = coded.filter((k) => k.system === codeSystem.body.url);
    expect(exerciseCodings.map((k) => k.code)).toEqual(
      expect.arrayContaining(['prone_press_up', 'bird_dog']),
    );
    for (const k of exerciseCodings) expect(known.has(k.code)).toBe(true);
    const goals = await allPages(`Goal?patient=${patientId}`, c.clinicianKey);
    expect(goals).toHaveLength(1);
    assertPhysicalActivityGoal(goals[0]);
    expect(goals[0].id).toBe(programId);
    expect(goals[0].target[0].measure.coding[0].code).toBe('41950-7');
    expect(goals[0].target[0].detailQuantity.value).toBe(4000);
    const search = await get(`CodeSystem?url=${encodeURIComponent(codeSystem.body.url)}`, c.appKey);
    expect(search.body.entry).toHaveLength(1);
  });

  it('serves sessions as Procedures, flags and alerts as Flags, findings as DetectedIssues', async () => {
    const { c } = s;
    const procedures = await allPages(`Procedure?patient=${patientId}`, c.appKey);
    expect(procedures.map((p) => p.id)).toEqual([sessionId]);
    expect(procedures[0].status).toBe('completed');
    const flags = await allPages(`Flag?patient=${patientId}&status=active`, c.clinicianKey);
    const alerts: { id: string }[] = await s.t.db.query(
      `SELECT id FROM alerts WHERE patient_id = $1`,
      [patientId],
    );
    const alert = alerts[0];
    expect(alert).toBeDefined();
    expect(flags.map((f) => f.id)).toEqual(expect.arrayContaining(alerts.map((a) => a.id)));
    expect(flags.some((f) => JSON.stringify(f.code).includes('HOLD_PROGRESSION_READY'))).toBe(true);
    // An app key cannot read alerts in /v1, nor here: progression flags only.
    const appFlags = await allPages(`Flag?patient=${patientId}`, c.appKey);
    expect(appFlags.map((f) => f.id)).not.toContain(alert.id);
    expect(appFlags).toHaveLength(flags.length - alerts.length);
    await get(`Flag/${alert.id}`, c.appKey).expect(404);
    const issues = await allPages(`DetectedIssue?patient=${patientId}`, c.clinicianKey);
    expect(issues.length).toBeGreaterThan(0);
    // Each finding's evidence names a resource the same key can read.
    for (const issue of issues) {
      const refs = (issue.evidence as Json[]).flatMap((e) =>
        (e.detail as Json[]).map((d) => d.reference),
      );
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) await get(ref, c.clinicianKey).expect(200);
    }
    // Findings need alerts:read, which app keys cannot hold.
    await get(`DetectedIssue?patient=${patientId}`, c.appKey).expect(403);
  });

  it('answers $everything in pages that together hold every resource once', async () => {
    const { c } = s;
    const everything = await allPages(`Patient/${patientId}/$everything?_count=3`, c.clinicianKey);
    const ids = everything.map((r) => `${r.resourceType}/${r.id}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe(`Patient/${patientId}`);
    const count = (type: string) => everything.filter((r) => r.resourceType === type).length;
    expect(count('Observation')).toBe(STEPS_DAYS.length + 3);
    expect(count('CarePlan')).toBe(2);
    expect(count('Goal')).toBe(1);
    expect(count('Procedure')).toBe(1);
    expect(count('QuestionnaireResponse')).toBe(1);
    expect(count('Flag')).toBeGreaterThanOrEqual(2);
    expect(count('DetectedIssue')).toBeGreaterThan(0);
    const oneGo = await get(`Patient/${patientId}/$everything`, c.clinicianKey).expect(200);
    expect(oneGo.body.entry).toHaveLength(everything.length);
    const narrowed = await allPages(
      `Patient/${patientId}/$everything?_type=Observation,CarePlan`,
      c.clinicianKey,
    );
    expect(new Set(narrowed.map((r) => r.resourceType))).toEqual(
      new Set(['Observation', 'CarePlan']),
    );
    await get(`Patient/${c.otherPatient.id}/$everything`, c.clinicianKey).expect(404);
  });

  it('asks the scopes /v1 asks: patients:read for Patient, programs:read for plans; apps see the program in force', async () => {
    const { t, c } = s;
    const f = factory(t.http);
    const recordsOnly = await f.apiKey(c.adminKey, {
      role: 'app',
      clientAppId: c.clientApp.id,
      scopes: ['records:read'],
    });
    const denied = await get(`Patient/${patientId}`, recordsOnly.key).expect(403);
    expect(denied.body.issue[0].code).toBe('forbidden');
    await get(`CarePlan?patient=${patientId}`, recordsOnly.key).expect(403);
    await get(`Observation?patient=${patientId}&code=41950-7`, recordsOnly.key).expect(200);
    // $everything leaves out what the key may not read.
    const everything = await allPages(`Patient/${patientId}/$everything`, recordsOnly.key);
    const types = new Set(everything.map((r) => r.resourceType));
    expect(types.has('Patient')).toBe(false);
    expect(types.has('CarePlan')).toBe(false);
    expect(types.has('Observation')).toBe(true);
    // An app with programs:read sees the program in force, as GET …/programs/active shows it.
    const appPlans = await allPages(`CarePlan?patient=${patientId}`, c.appKey);
    expect(appPlans.map((p) => p.id)).toEqual([programId]);
    await get(`CarePlan/${firstProgramId}`, c.appKey).expect(404);
  });

  it('audits a refused search or read with the patient it named', async () => {
    const { t, c } = s;
    const audit = (action: string, patient: string) =>
      t.db.query(
        `SELECT outcome, status FROM audit_log WHERE action = $1 AND patient_id = $2 ORDER BY occurred_at DESC LIMIT 1`,
        [action, patient],
      );
    await get(`Observation?patient=${patientId}`, c.otherClinicianKey).expect(404);
    expect(await audit('fhir.search', patientId)).toEqual([{ outcome: 'denied', status: 404 }]);
    await get(`Patient/${patientId}/$everything`, c.otherClinicianKey).expect(404);
    expect(await audit('fhir.operation', patientId)).toEqual([{ outcome: 'denied', status: 404 }]);
    await get(`Procedure/${sessionId}`, c.otherClinicianKey).expect(404);
    expect(await audit('fhir.read', patientId)).toEqual([{ outcome: 'denied', status: 404 }]);
  });

  it('links each page to itself, reads long fractions and system-less codes as FHIR does', async () => {
    const { c } = s;
    const first = await get(`Observation?patient=${patientId}&code=41950-7&_count=2`, c.appKey);
    const next = path(first.body.link.find((l: Json) => l.relation === 'next').url);
    const second = await s.t.http.get(next).set(bearer(c.appKey)).expect(200);
    const self = second.body.link.find((l: Json) => l.relation === 'self').url;
    const again = await s.t.http.get(path(self)).set(bearer(c.appKey)).expect(200);
    expect(again.body.entry.map((e: Json) => e.resource.id)).toEqual(
      second.body.entry.map((e: Json) => e.resource.id),
    );
    const long = await get(
      `Observation?patient=${patientId}&code=41950-7&date=ge2026-10-05T04:00:00.${'0'.repeat(130)}Z`,
      c.appKey,
    ).expect(200);
    expect(long.body.entry).toHaveLength(3);
    const noSystem = await get(`Observation?patient=${patientId}&code=|41950-7`, c.appKey).expect(
      200,
    );
    expect(noSystem.body.entry ?? []).toHaveLength(0);
  });

  it('resolves every code of ours to a concept of a CodeSystem it serves', async () => {
    const { c } = s;
    const everything = await allPages(`Patient/${patientId}/$everything`, c.clinicianKey);
    const ours = new Map<string, Set<string>>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(walk);
      if (value === null || typeof value !== 'object') return;
      const v = value as Json;
      if (
        typeof v.system === 'string' &&
        typeof v.code === 'string' &&
        v.system.includes('sciatrack')
      ) {
        if (!ours.has(v.system)) ours.set(v.system, new Set());
        ours.get(v.system)!.add(v.code);
      }
      Object.values(v).forEach(walk);
    };
    walk(everything);
    expect(ours.size).toBeGreaterThanOrEqual(3);
    for (const [system, codes] of ours) {
      if (system.includes('/organization/')) continue; // the patient identifier's system
      const found = await get(`CodeSystem?url=${encodeURIComponent(system)}`, c.appKey).expect(200);
      expect(found.body.entry).toHaveLength(1);
      const cs = found.body.entry[0].resource;
      validateFhir(cs);
      const concepts = new Set((cs.concept as Json[]).map((k) => k.code));
      for (const code of codes) expect([system, concepts.has(code)]).toEqual([system, true]);
    }
  });

  it('serves Groups: the organization to admins, a panel to its clinician', async () => {
    const { c } = s;
    const org = await get(`Group/${c.org.id}`, c.adminKey).expect(200);
    validateFhir(org.body);
    const [{ n }] = await s.t.db.query(
      'SELECT count(*)::int AS n FROM patients WHERE organization_id = $1',
      [c.org.id],
    );
    expect(org.body.quantity).toBe(n);
    const panel = await get(`Group/${c.clinician.id}`, c.clinicianKey).expect(200);
    validateFhir(panel.body);
    await get(`Group/${c.org.id}`, c.clinicianKey).expect(404);
    await get(`Group/${c.otherClinician.id}`, c.clinicianKey).expect(404);
    await get(`Group/${c.clinician.id}`, c.appKey).expect(404);
  });

  it('bounds dates by instant too, and $everything by _since', async () => {
    const { c } = s;
    // 2026-10-05 04:00Z is midnight in New York: the days from the 5th on.
    const fromInstant = await allPages(
      `Observation?patient=${patientId}&code=41950-7&date=ge2026-10-05T04:00:00Z`,
      c.clinicianKey,
    );
    expect(fromInstant.map((o) => o.valueQuantity.value)).toEqual([1002, 1003, 1004]);
    const since = new Date().toISOString();
    await s.t.db.query(
      `UPDATE activity_daily SET steps = steps + 100, updated_at = now() WHERE patient_id = $1 AND local_date = '2026-10-07'`,
      [patientId],
    );
    const changed = await allPages(
      `Patient/${patientId}/$everything?_since=${encodeURIComponent(since)}`,
      c.clinicianKey,
    );
    expect(changed.map((r) => r.id)).toEqual([`steps-${patientId}-2026-10-07`]);
    expect(changed[0].valueQuantity.value).toBe(1104);
  });

  it(`never answers 5xx to hostile paths and parameters, and errors are OperationOutcomes (seed ${SEED})`, async () => {
    const { c } = s;
    const ids = [
      patientId,
      c.otherPatient.id,
      programId,
      odiId,
      sessionId,
      c.org.id,
      c.clinician.id,
    ];
    const hostile = fc.oneof(
      fc.constantFrom(
        '',
        "'",
        '%00',
        '%ZZ',
        'null',
        '-1',
        '0',
        '1e309',
        'NaN',
        '2026-13-01',
        '2026-02-30',
        '0000-01-01',
        '9999-12-31T23:59:59Z',
        '2026-10-05T25:00:00Z',
        'ge',
        'gt2026',
        'le2026-10-05T04:00:00',
        'x'.repeat(5000),
        '../../etc',
        'Patient/',
        '|',
        'http://loinc.org|',
        ',,',
        '\u0000',
        '😀',
        encodeURIComponent(JSON.stringify({ a: 1 })),
        'WzAsbnVsbF0',
        'WzEsWyJ4IiwieSIsInoiXV0',
      ),
      fc.constantFrom(...ids),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
    );
    const param = fc.tuple(
      fc.constantFrom(
        'patient',
        'subject',
        'code',
        'date',
        '_count',
        '_sort',
        '_cursor',
        'status',
        '_id',
        'identifier',
        'url',
        '_type',
        '_since',
        '_format',
        '_outputFormat',
        'unknown',
        '__proto__',
        'constructor',
        'toString',
      ),
      hostile,
    );
    const pathPart = fc.oneof(
      fc.constantFrom(
        'Patient',
        'Observation',
        'CarePlan',
        'Goal',
        'Flag',
        'DetectedIssue',
        'Procedure',
        'QuestionnaireResponse',
        'CodeSystem',
        'Group',
        'Encounter',
        '_export',
        'metadata',
        '$everything',
        '$export',
        '$meta',
        'toString',
        'constructor',
        '__proto__',
        'hasOwnProperty',
      ),
      hostile,
    );
    const request = fc.record({
      path: fc.array(pathPart, { minLength: 1, maxLength: 3 }),
      query: fc.array(param, { maxLength: 5 }),
      key: fc.constantFrom(c.adminKey, c.clinicianKey, c.appKey, c.otherAppKey, c.dashboardKey),
      lenient: fc.boolean(),
      method: fc.constantFrom('get', 'get', 'get', 'delete'),
    });
    const failures: string[] = [];
    for (const r of fc.sample(request, { numRuns: FUZZ_RUNS, seed: SEED })) {
      const url = `/fhir/R4/${r.path.join('/')}?${r.query.map(([k, v]) => `${k}=${v}`).join('&')}`;
      const res = await s.t.http[r.method](url)
        .set(bearer(r.key))
        .set('Prefer', r.lenient ? 'handling=lenient' : 'respond-async');
      const where = `${r.method.toUpperCase()} ${url.slice(0, 200)} → ${res.status}`;
      if (res.status >= 500) failures.push(where);
      else if (res.status >= 400 && res.body?.resourceType !== 'OperationOutcome') {
        failures.push(`${where}: not an OperationOutcome`);
      } else if (res.status >= 400 && res.body?.resourceType === 'OperationOutcome') {
        try {
          validateFhir(res.body);
        } catch (err) {
          failures.push(`${where}: ${String(err)} ${JSON.stringify(res.body).slice(0, 300)}`);
        }
        if (JSON.stringify(res.body).includes('    at ')) failures.push(`${where}: a stack trace`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses bad input with a 400 OperationOutcome naming it', async () => {
    const { c } = s;
    const bad = async (path: string, expression?: string, status = 400, headers: Json = {}) => {
      const res = await get(path, c.adminKey).set(headers).expect(status);
      expect(res.headers['content-type']).toMatch(FHIR_JSON);
      validateFhir(res.body);
      if (expression) expect(res.body.issue[0].expression).toEqual([expression]);
      return res.body;
    };
    await bad('Encounter?patient=x');
    await bad('Medication/abc');
    await bad('toString/abc');
    await bad('constructor?patient=x');
    await bad(`Patient/${patientId}/$everything?_type=toString`, '_type');
    await bad(`Observation?patient=${patientId}&color=blue`, 'color');
    await bad(`Observation?patient=${patientId}&date=2026-02-30`, 'date');
    await bad(`Observation?patient=${patientId}&date=ne2026-02-03`, 'date');
    await bad(`Observation?patient=${patientId}&date=0000-01-01`, 'date');
    await bad(`Observation?patient=${patientId}&_count=0`, '_count');
    await bad(`Observation?patient=${patientId}&_sort=value`, '_sort');
    await bad(`Observation?patient=${patientId}&_cursor=bm9wZQ`, '_cursor');
    await bad('Observation?code=41950-7', 'patient');
    await bad(`Patient/${patientId}/$everything?_since=2999-01-01T00:00:00Z`, '_since');
    await bad(`Patient/${patientId}/$everything?_type=Encounter`, '_type');
    await bad(`Observation/${'x'.repeat(65)}`);
    await bad(`Observation/steps-${patientId}-2026-02-30`, undefined, 404);
    // Lenient handling ignores what it does not know.
    const lenient = await get(`Observation?patient=${patientId}&color=blue`, c.adminKey)
      .set('Prefer', 'handling=lenient')
      .expect(200);
    expect(lenient.body.link[0].url).not.toContain('color');
  });
});
