import { createTestApp, TestApp } from './support/app';
import { bearer, factory } from './support/factories';
import { TEST_ADMIN_TOKEN } from './support/test-env';

describe('foundation: organizations, people and keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('walks bootstrap → clinician → app → patient → enrollment → keys', async () => {
    const boot = await t.http
      .post('/v1/admin/organizations')
      .set(bearer(TEST_ADMIN_TOKEN))
      .send({ name: 'Harbour Physio' })
      .expect(201);
    expect(boot.body).toEqual({
      id: expect.any(String),
      name: 'Harbour Physio',
      adminKey: expect.stringMatching(/^sct_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/),
      adminKeyId: expect.any(String),
    });
    const admin = bearer(boot.body.adminKey);

    const clinician = await t.http
      .post('/v1/clinicians')
      .set(admin)
      .send({ name: 'Dr. Mira Okafor', email: 'mira@harbour.example' })
      .expect(201);
    expect(clinician.body).toMatchObject({
      id: expect.any(String),
      name: 'Dr. Mira Okafor',
      email: 'mira@harbour.example',
    });

    const app = await t.http
      .post('/v1/client-apps')
      .set(admin)
      .send({ name: 'BackOnTrack' })
      .expect(201);

    const patient = await t.http
      .post('/v1/patients')
      .set(admin)
      .send({
        externalRef: 'HP-0001',
        timezone: 'Pacific/Auckland',
        clinicianId: clinician.body.id,
        symptomOnsetDate: '2026-10-02',
        baselinePain: { intensity: 6, mostDistalSite: 'calf' },
      })
      .expect(201);
    expect(patient.body).toMatchObject({
      externalRef: 'HP-0001',
      timezone: 'Pacific/Auckland',
      clinicianId: clinician.body.id,
      symptomOnsetDate: '2026-10-02',
      condition: 'lumbar_disc_herniation',
      baselinePain: { intensity: 6, mostDistalSite: 'calf' },
    });

    const enrollment = await t.http
      .post(`/v1/patients/${patient.body.id}/enrollments`)
      .set(admin)
      .send({ clientAppId: app.body.id })
      .expect(201);
    expect(enrollment.body).toMatchObject({
      patientId: patient.body.id,
      clientAppId: app.body.id,
      revokedAt: null,
    });

    const appKey = await t.http
      .post('/v1/api-keys')
      .set(admin)
      .send({ name: 'BackOnTrack prod', role: 'app', clientAppId: app.body.id })
      .expect(201);
    expect(appKey.body).toMatchObject({
      role: 'app',
      clientAppId: app.body.id,
      key: expect.stringMatching(/^sct_/),
    });
    expect(appKey.body.key.startsWith(appKey.body.prefix)).toBe(true);

    // The enrolled app sees its patient, and only that one.
    const seen = await t.http.get('/v1/patients').set(bearer(appKey.body.key)).expect(200);
    expect(seen.body.data.map((p: { id: string }) => p.id)).toEqual([patient.body.id]);

    // The clinician's own key sees the patient assigned to them.
    const clinicianKey = await t.http
      .post('/v1/api-keys')
      .set(admin)
      .send({ name: 'Mira', role: 'clinician', clinicianId: clinician.body.id })
      .expect(201);
    await t.http
      .get(`/v1/patients/${patient.body.id}`)
      .set(bearer(clinicianKey.body.key))
      .expect(200);
  });

  it('stores only a hash of each key, never the key itself', async () => {
    const org = await factory(t.http).organization();
    const rows: { secret_hash: Buffer; prefix: string }[] = await t.db.query(
      'SELECT secret_hash, prefix FROM api_keys WHERE organization_id = $1',
      [org.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_hash).toHaveLength(32);
    expect(rows[0].secret_hash.toString('utf8')).not.toContain(org.adminKey);
    const dump = JSON.stringify(
      await t.db.query('SELECT * FROM api_keys WHERE organization_id = $1', [org.id]),
    );
    // sct_<12 alphanumerics looked up by index>_<43 characters of base64url secret>; the secret
    // may itself hold '_' or '-', so it is read by position, not by splitting on '_'.
    const [, prefix, secret] =
      /^(sct_[A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(org.adminKey) ?? [];
    expect(rows[0].prefix).toBe(prefix);
    expect(secret).toHaveLength(43);
    expect(dump).not.toContain(secret);
  });

  it('lists keys without secrets, records last use, and refuses a revoked key', async () => {
    const f = factory(t.http);
    const org = await f.organization();
    const dash = await f.apiKey(org.adminKey, { role: 'dashboard' });

    let list = await t.http.get('/v1/api-keys').set(bearer(org.adminKey)).expect(200);
    const before = list.body.data.find((k: { id: string }) => k.id === dash.id);
    expect(before).toMatchObject({ role: 'dashboard', lastUsedAt: null, revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(dash.key);

    // The dashboard key is used once (its route answers 403, but the key itself is valid).
    await t.http.get('/v1/patients').set(bearer(dash.key)).expect(403);
    list = await t.http.get('/v1/api-keys').set(bearer(org.adminKey)).expect(200);
    expect(list.body.data.find((k: { id: string }) => k.id === dash.id).lastUsedAt).not.toBeNull();

    await t.http.delete(`/v1/api-keys/${dash.id}`).set(bearer(org.adminKey)).expect(204);
    const refused = await t.http.get('/v1/patients').set(bearer(dash.key)).expect(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('narrows a key to the scopes asked for, and refuses scopes beyond its role', async () => {
    const f = factory(t.http);
    const org = await f.organization();
    const app = await f.clientApp(org.adminKey);
    const clinician = await f.clinician(org.adminKey);
    const narrow = await f.apiKey(org.adminKey, {
      role: 'app',
      clientAppId: app.id,
      scopes: ['records:write'],
    });
    expect(narrow.scopes).toEqual(['records:write']);
    // Without patients:read the key cannot list patients.
    await t.http.get('/v1/patients').set(bearer(narrow.key)).expect(403);

    const res = await t.http
      .post('/v1/api-keys')
      .set(bearer(org.adminKey))
      .send({ name: 'too much', role: 'dashboard', scopes: ['patients:read'] })
      .expect(422);
    expect(res.body.errors).toEqual([
      { field: 'scopes', message: expect.stringContaining('patients:read') },
    ]);

    const mismatched = await t.http
      .post('/v1/api-keys')
      .set(bearer(org.adminKey))
      .send({ name: 'no clinician', role: 'clinician', clientAppId: app.id })
      .expect(422);
    expect(mismatched.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'clientAppId',
      'clinicianId',
    ]);

    // A clinician id of another organization is not accepted.
    const other = await f.organization();
    const foreign = await t.http
      .post('/v1/api-keys')
      .set(bearer(other.adminKey))
      .send({ name: 'foreign', role: 'clinician', clinicianId: clinician.id })
      .expect(422);
    expect(foreign.body.errors).toEqual([{ field: 'clinicianId', message: expect.any(String) }]);
  });

  it('refuses the operator route without the operator token, even with an admin key', async () => {
    const org = await factory(t.http).organization();
    await t.http.post('/v1/admin/organizations').send({ name: 'x' }).expect(401);
    await t.http
      .post('/v1/admin/organizations')
      .set(bearer(org.adminKey))
      .send({ name: 'x' })
      .expect(401);
    await t.http
      .post('/v1/admin/organizations')
      .set(bearer('wrong-operator-token'))
      .send({ name: 'x' })
      .expect(401);
  });

  it('answers 409 for a duplicate externalRef or clinician email in one organization', async () => {
    const f = factory(t.http);
    const org = await f.organization();
    const c = await f.clinician(org.adminKey, { email: 'same@clinic.example' });
    await t.http
      .post('/v1/clinicians')
      .set(bearer(org.adminKey))
      .send({ name: 'Twin', email: 'SAME@clinic.example' })
      .expect(409);
    await f.patient(org.adminKey, { clinicianId: c.id, externalRef: 'DUP-1' });
    const dup = await t.http
      .post('/v1/patients')
      .set(bearer(org.adminKey))
      .send({ externalRef: 'DUP-1', timezone: 'UTC', clinicianId: c.id })
      .expect(409);
    expect(dup.body).toMatchObject({ status: 409, type: '/problems/conflict' });
  });

  it('re-opens a withdrawn enrollment and hides the patient from the app while withdrawn', async () => {
    const f = factory(t.http);
    const org = await f.organization();
    const c = await f.clinician(org.adminKey);
    const app = await f.clientApp(org.adminKey);
    const appKey = await f.apiKey(org.adminKey, { role: 'app', clientAppId: app.id });
    const p = await f.patient(org.adminKey, { clinicianId: c.id });
    const first = await f.enroll(org.adminKey, p.id, app.id);
    await t.http.get(`/v1/patients/${p.id}`).set(bearer(appKey.key)).expect(200);

    await t.http
      .delete(`/v1/patients/${p.id}/enrollments/${app.id}`)
      .set(bearer(org.adminKey))
      .expect(204);
    await t.http.get(`/v1/patients/${p.id}`).set(bearer(appKey.key)).expect(404);

    const again = await f.enroll(org.adminKey, p.id, app.id);
    expect(again).toMatchObject({ revokedAt: null });
    expect(again.patientId).toBe(first.patientId);
    await t.http.get(`/v1/patients/${p.id}`).set(bearer(appKey.key)).expect(200);
  });

  it('lets an admin reassign a patient, after which only the new clinician sees them', async () => {
    const f = factory(t.http);
    const org = await f.organization();
    const [a, b] = await Promise.all([f.clinician(org.adminKey), f.clinician(org.adminKey)]);
    const [aKey, bKey] = await Promise.all([
      f.apiKey(org.adminKey, { role: 'clinician', clinicianId: a.id }),
      f.apiKey(org.adminKey, { role: 'clinician', clinicianId: b.id }),
    ]);
    const p = await f.patient(org.adminKey, { clinicianId: a.id });
    await t.http
      .patch(`/v1/patients/${p.id}`)
      .set(bearer(org.adminKey))
      .send({ clinicianId: b.id })
      .expect(200);
    await t.http.get(`/v1/patients/${p.id}`).set(bearer(aKey.key)).expect(404);
    await t.http.get(`/v1/patients/${p.id}`).set(bearer(bKey.key)).expect(200);
  });
});
