import { ProviderSyncProcessor } from '../apps/worker/src/sync/provider-sync.processor';
import { bearer } from './support/factories';
import {
  FakeGoogleHealth,
  FakeWithings,
  providerEnv,
  type GooglePoint,
  type WithingsDay,
} from './support/fake-providers';
import { deleteKeysOf } from './support/redis-keys';
import { withService } from './support/service';
import { specQueuePrefix, testRedisUrl } from './support/test-env';
import { eventually } from './support/worker';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PUBLIC_BASE = 'https://sciatrack.test';
const path = (url: string) => new URL(url).pathname + new URL(url).search;
const isoDay = (daysAgo: number) =>
  new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

/** 40 days of Withings daily totals, as a Pulse HR reports them. */
function withingsDays(from = 40, steps = (d: number) => 3000 + d): WithingsDay[] {
  const days: WithingsDay[] = [];
  for (let d = from; d >= 0; d--) {
    days.push({
      date: isoDay(d),
      steps: steps(d),
      timezone: 'Europe/London',
      modified: Math.floor(Date.now() / 1000) - d * 86_400,
    });
  }
  return days;
}

/** One-minute Google data points, back to back (each ends where the next starts). */
function googlePoints(count: number, endMs: number, steps = 10): GooglePoint[] {
  const points: GooglePoint[] = [];
  for (let i = 0; i < count; i++) {
    const start = endMs - (count - i) * 60_000;
    points.push({
      start: new Date(start).toISOString(),
      end: new Date(start + 60_000).toISOString(),
      steps,
    });
  }
  return points;
}

describe('pulling wearable clouds: Withings and Google Health, connected with OAuth', () => {
  const withings = new FakeWithings();
  const google = new FakeGoogleHealth();
  const env: Record<string, string> = {
    QUEUE_PREFIX: specQueuePrefix('provider-sync'),
    JOB_LOCK_MS: '3000',
    PROVIDER_REQUESTS_PER_MINUTE: '1000',
  };
  beforeAll(async () => {
    await withings.start();
    await google.start();
    Object.assign(env, providerEnv(PUBLIC_BASE, { withings, google }));
  });
  const s = withService(env);
  afterAll(async () => {
    await withings.stop();
    await google.stop();
    await deleteKeysOf(testRedisUrl(), env.QUEUE_PREFIX);
  });

  /** Connects a patient: the app asks, the patient consents at the fake, the callback lands. */
  async function connect(patientId: string, provider: 'withings' | 'google-health') {
    const created = await s.t.http
      .post(`/v1/patients/${patientId}/connections`)
      .set(bearer(s.c.appKey))
      .send({ provider });
    expect([created.status, created.body]).toEqual([
      201,
      expect.objectContaining({ id: expect.any(String) }),
    ]);
    expect(created.body.status).toBe('pending');
    const consent = await fetch(created.body.authorizeUrl, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = consent.headers.get('location')!;
    expect(back.startsWith(`${PUBLIC_BASE}/v1/oauth/${provider}/callback?`)).toBe(true);
    const done = await s.t.http.get(path(back)).expect(200);
    expect(done.body).toEqual({ id: created.body.id, status: 'connected' });
    return {
      id: created.body.id as string,
      callback: path(back),
      authorizeUrl: created.body.authorizeUrl as string,
    };
  }

  const connection = async (patientId: string, id: string): Promise<Json> => {
    const res = await s.t.http
      .get(`/v1/patients/${patientId}/connections`)
      .set(bearer(s.c.adminKey))
      .expect(200);
    return (res.body.data as Json[]).find((c) => c.id === id)!;
  };

  const daily = async (patientId: string): Promise<Map<string, number>> => {
    const rows: { d: string; steps: number }[] = await s.t.db.query(
      `SELECT local_date::text AS d, steps FROM activity_daily WHERE patient_id = $1`,
      [patientId],
    );
    return new Map(rows.map((r) => [r.d, r.steps]));
  };

  /** A new patient of the clinic, enrolled with its app. */
  async function newEnrolledPatient(): Promise<string> {
    const res = await s.t.http
      .post('/v1/patients')
      .set(bearer(s.c.adminKey))
      .send({
        externalRef: `MRN-${Math.random().toString(36).slice(2, 10)}`,
        timezone: 'UTC',
        clinicianId: s.c.clinician.id,
      })
      .expect(201);
    await s.t.http
      .post(`/v1/patients/${res.body.id}/enrollments`)
      .set(bearer(s.c.adminKey))
      .send({ clientAppId: s.c.clientApp.id })
      .expect(201);
    return res.body.id as string;
  }

  it('Withings: connects, backfills 30 days through the import path, then pulls only what changed', async () => {
    const { c } = s;
    withings.consentingUser = '363';
    withings.pageSize = 7;
    withings.setDays('363', withingsDays());
    const { id, callback } = await connect(c.patient.id, 'withings');
    // The backfill: the last 30 days (and today), no older day, each as Withings counted it.
    await eventually(
      async () => (await connection(c.patient.id, id)).lastSyncAt,
      20_000,
      'backfill',
    );
    const days = await eventually(
      async () => {
        const d = await daily(c.patient.id);
        return d.size >= 31 ? d : null;
      },
      20_000,
      'days rolled up',
    );
    expect(days.get(isoDay(30))).toBe(3030);
    expect(days.get(isoDay(0))).toBe(3000);
    expect(days.has(isoDay(31))).toBe(false);
    // Stored and imported like a push: imports of format `withings`, a source naming the provider.
    const imports: { format: string; status: string }[] = await s.t.db.query(
      `SELECT format, status FROM activity_imports WHERE patient_id = $1`,
      [c.patient.id],
    );
    expect(imports.length).toBeGreaterThanOrEqual(5);
    expect(new Set(imports.map((i) => i.format))).toEqual(new Set(['withings']));
    const sources = await s.t.http
      .get(`/v1/patients/${c.patient.id}/activity/sources`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    expect(JSON.stringify(sources.body).toLowerCase()).toContain('withings');
    // The state was spent: the same callback again is refused and changes nothing.
    await s.t.http.get(callback).expect(400);
    await s.t.http.get('/v1/oauth/withings/callback?code=x&state=never-issued').expect(400);

    // Incremental: a day changes at Withings and it notifies; only data updated since is asked.
    const before = withings.dataRequests('363').length;
    withings.setDays('363', [
      {
        date: isoDay(2),
        steps: 9999,
        timezone: 'Europe/London',
        modified: Math.floor(Date.now() / 1000) + 5,
      },
    ]);
    const callbackUrl = withings.subscriptions.get('363');
    expect(callbackUrl).toBeDefined();
    await s.t.http
      .post(path(callbackUrl!))
      .type('form')
      .send({ userid: '363', appli: '16', date: isoDay(2) })
      .expect(200);
    await eventually(
      async () => (await daily(c.patient.id)).get(isoDay(2)) === 9999,
      20_000,
      'notified pull',
    );
    const since = withings.dataRequests('363').slice(before);
    expect(since.length).toBeGreaterThan(0);
    for (const r of since) {
      expect(r.params.lastupdate).toBeDefined();
      expect(r.params.startdateymd).toBeUndefined();
    }
  });

  it('ignores notifications that are not ours: a forged URL, an unknown user', async () => {
    const { c } = s;
    const [row] = await s.t.db.query(
      `SELECT id FROM wearable_connections WHERE patient_id = $1 AND provider = 'withings' AND status = 'connected'`,
      [c.patient.id],
    );
    const before = withings.dataRequests('363').length;
    await s.t.http
      .post(`/v1/providers/withings/notify/${row.id}/forged-mac-0000000000000000000`)
      .type('form')
      .send({ userid: '363', appli: '16' })
      .expect(200);
    const real = withings.subscriptions.get('363')!;
    await s.t.http.post(path(real)).type('form').send({ userid: '999', appli: '16' }).expect(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(withings.dataRequests('363').length).toBe(before);
    // Withings checks the URL with HEAD before subscribing it.
    await s.t.http.head(path(real)).expect(200);
  });

  it('refreshes an expired token, and a refused grant turns the connection to error', async () => {
    const { c } = s;
    const [row] = await s.t.db.query(
      `SELECT id FROM wearable_connections WHERE patient_id = $1 AND provider = 'withings' AND status = 'connected'`,
      [c.patient.id],
    );
    const sync = s.worker.get(ProviderSyncProcessor);
    const grants = withings.grants.length;
    withings.expireAccessTokens();
    withings.setDays('363', [
      {
        date: isoDay(1),
        steps: 7777,
        timezone: 'Europe/London',
        modified: Math.floor(Date.now() / 1000) + 10,
      },
    ]);
    await sync.sync({ connectionId: row.id }, { id: 'refresh-test' } as never);
    expect(withings.grants.length).toBe(grants + 1);
    await eventually(
      async () => (await daily(c.patient.id)).get(isoDay(1)) === 7777,
      20_000,
      'after refresh',
    );

    withings.revokeUser('363');
    withings.expireAccessTokens();
    await sync.sync({ connectionId: row.id }, { id: 'revoked-test' } as never);
    const shown = await connection(c.patient.id, row.id);
    expect(shown.status).toBe('error');
    expect(shown.lastError).toMatch(/connect again/);
    // The patient's freshness says why no data arrives.
    const freshness = await s.t.http
      .get(`/v1/patients/${c.patient.id}/activity/sources`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    expect(freshness.body.connections).toEqual([
      expect.objectContaining({ id: row.id, provider: 'withings', status: 'error' }),
    ]);
    // Connecting again is possible once the old one is deleted.
    await s.t.http.delete(`/v1/connections/${row.id}`).set(bearer(c.appKey)).expect(204);
    expect((await connection(c.patient.id, row.id)).status).toBe('revoked');
  });

  it('Google Health: PKCE, paged backfill, 429 with Retry-After, revoke; every sample once', async () => {
    const { c } = s;
    google.consentingUser = 'g-user-1';
    google.pageSize = 50;
    const now = Date.now() - 60_000;
    const points = googlePoints(180, now);
    google.setPoints('g-user-1', points);
    google.throttleNext = 1;
    const patient = c.otherPatient.id;
    await s.t.http
      .post(`/v1/patients/${patient}/enrollments`)
      .set(bearer(c.adminKey))
      .send({ clientAppId: c.clientApp.id })
      .expect(201);
    const { id, authorizeUrl } = await connect(patient, 'google-health');
    expect(new URL(authorizeUrl).searchParams.get('code_challenge_method')).toBe('S256');
    await eventually(
      async () => (await connection(patient, id)).lastSyncAt,
      30_000,
      'google backfill',
    );
    // The last page's import runs a moment after the pull: wait for it.
    await eventually(
      async () =>
        (
          await s.t.db.query(
            `SELECT count(*)::int AS n FROM activity_imports WHERE patient_id = $1 AND status <> 'completed'`,
            [patient],
          )
        )[0].n === 0,
      20_000,
      'imports done',
    );
    const [{ n, total }] = await s.t.db.query(
      `SELECT count(*)::int AS n, coalesce(sum(steps), 0)::int AS total FROM activity_samples WHERE patient_id = $1`,
      [patient],
    );
    expect(n).toBe(180);
    expect(total).toBe(1800);
    const imports: { format: string }[] = await s.t.db.query(
      `SELECT DISTINCT format FROM activity_imports WHERE patient_id = $1`,
      [patient],
    );
    expect(imports.map((i) => i.format)).toEqual(['google-health']);
    // The throttled request was retried after Retry-After, not dropped.
    expect(google.dataRequests('g-user-1').length).toBe(Math.ceil(180 / 50) + 1);

    await s.t.http.delete(`/v1/connections/${id}`).set(bearer(c.appKey)).expect(204);
    expect(google.grants.filter((g) => g.user === 'g-user-1').every((g) => g.revoked)).toBe(true);
    const requests = google.dataRequests('g-user-1').length;
    await s.worker
      .get(ProviderSyncProcessor)
      .sync({ connectionId: id }, { id: 'after-revoke' } as never);
    expect(google.dataRequests('g-user-1').length).toBe(requests);
  });

  it('a page that breaks the documented shape: its import is rejected with the reason, the pull goes on', async () => {
    const { c, t } = s;
    const f = await t.http
      .post('/v1/patients')
      .set(bearer(c.adminKey))
      .send({
        externalRef: `MRN-bad-page-${Date.now()}`,
        timezone: 'UTC',
        clinicianId: c.clinician.id,
      })
      .expect(201);
    const patient = f.body.id as string;
    await t.http
      .post(`/v1/patients/${patient}/enrollments`)
      .set(bearer(c.adminKey))
      .send({ clientAppId: c.clientApp.id })
      .expect(201);
    google.consentingUser = 'g-bad-page';
    google.pageSize = 40;
    google.setPoints('g-bad-page', googlePoints(100, Date.now() - 60_000, 2));
    google.malformNext = 1;
    const { id } = await connect(patient, 'google-health');
    await eventually(async () => (await connection(patient, id)).lastSyncAt, 30_000, 'pulled');
    const imports = await eventually(
      async () => {
        const rows: { status: string; errors: unknown; failure_reason: string | null }[] =
          await t.db.query(
            `SELECT status, errors, failure_reason FROM activity_imports WHERE patient_id = $1 ORDER BY created_at`,
            [patient],
          );
        return rows.length === 3 &&
          rows.every((r) => r.status !== 'queued' && r.status !== 'processing')
          ? rows
          : null;
      },
      20_000,
      'imports done',
    );
    // The newest 40 points were the broken page; the 60 older ones arrived.
    const [{ n }] = await t.db.query(
      'SELECT count(*)::int AS n FROM activity_samples WHERE patient_id = $1',
      [patient],
    );
    expect(n).toBe(60);
    expect(JSON.stringify(imports[0])).toMatch(/dataPoints/);
    expect((await connection(patient, id)).status).toBe('connected');
  });

  it('hostile or broken callbacks and notifications: 400 for a refused code, nothing stuck, no 500', async () => {
    const { c, t } = s;
    const patient = await newEnrolledPatient();
    withings.consentingUser = '777';
    const created = await t.http
      .post(`/v1/patients/${patient}/connections`)
      .set(bearer(c.appKey))
      .send({ provider: 'withings' })
      .expect(201);
    const consent = await fetch(created.body.authorizeUrl, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location')!);
    // A forged code with the real state: the provider refuses it, so the caller gets 400.
    back.searchParams.set('code', 'forged');
    await t.http.get(back.pathname + back.search).expect(400);
    expect((await connection(patient, created.body.id)).status).toBe('error');
    // An expired state (10 minutes) is refused like an unknown one, and nothing is stored.
    const again = await t.http
      .post(`/v1/patients/${patient}/connections`)
      .set(bearer(c.appKey))
      .send({ provider: 'withings' })
      .expect(201);
    const late = new URL(
      (await fetch(again.body.authorizeUrl, { redirect: 'manual' })).headers.get('location')!,
    );
    await t.db.query(
      `UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE connection_id = $1`,
      [again.body.id],
    );
    await t.http.get(late.pathname + late.search).expect(400);
    const stored = await t.db.query(
      'SELECT status, access_token FROM wearable_connections WHERE id = $1',
      [again.body.id],
    );
    expect(stored).toEqual([{ status: 'pending', access_token: null }]);
    // Left pending past its state's life: the tidy-up says the consent never came back.
    await t.db.query(
      `UPDATE wearable_connections SET created_at = now() - interval '1 hour' WHERE id = $1`,
      [again.body.id],
    );
    expect((await s.worker.get(ProviderSyncProcessor).tidy()).abandoned).toBeGreaterThanOrEqual(1);
    expect((await connection(patient, again.body.id)).status).toBe('error');
    // Never connected: the app may begin again at once.
    await connect(patient, 'withings');
    // Callbacks without a state, or with a repeated one, are refused, never a 500.
    await t.http.get('/v1/oauth/withings/callback?code=x').expect(422);
    await t.http.get('/v1/oauth/withings/callback?state=a&state=b').expect(422);
    await t.http.get('/v1/oauth/nowhere/callback?state=a').expect(404);
    // Notifications with no form at all are answered 200 and ignored.
    const [row] = await t.db.query(
      `SELECT id FROM wearable_connections WHERE patient_id = $1 AND status = 'connected'`,
      [patient],
    );
    await t.http.post(`/v1/providers/withings/notify/${row.id}/x`).expect(200);
    await t.http
      .post(`/v1/providers/withings/notify/${row.id}/x`)
      .set('Content-Type', 'text/plain')
      .send('userid=777')
      .expect(200);
  });

  it('backs off a connection that keeps failing, and rereads a window whose page token lapsed', async () => {
    const { t } = s;
    const patient = await newEnrolledPatient();
    google.consentingUser = 'g-flaky';
    google.pageSize = 30;
    google.setPoints('g-flaky', googlePoints(90, Date.now() - 60_000, 4));
    google.failNext = 1;
    const { id } = await connect(patient, 'google-health');
    // The first pull failed: backed off (a minute), the failure counted and shown.
    const failed = await eventually(
      async () => {
        const [r] = await t.db.query(
          `SELECT failures, retry_at > now() AS waiting, last_error FROM wearable_connections WHERE id = $1`,
          [id],
        );
        return r.failures === 1 ? r : null;
      },
      20_000,
      'failure counted',
    );
    expect(failed.waiting).toBe(true);
    expect(failed.last_error).toMatch(/HTTP 503/);
    // Midway through a window, its page token lapses (an outage): the window is read again.
    await t.db.query(
      `UPDATE wearable_connections SET retry_at = NULL,
         cursor = jsonb_build_object('from', $2::text, 'to', $3::text, 'pageToken', 'lapsed-token')
       WHERE id = $1`,
      [id, new Date(Date.now() - 86_400_000).toISOString(), new Date().toISOString()],
    );
    await s.worker.get(ProviderSyncProcessor).sync({ connectionId: id }, { id: 'lapsed' } as never);
    const [after] = await t.db.query(
      'SELECT failures, last_sync_at FROM wearable_connections WHERE id = $1',
      [id],
    );
    expect(after.failures).toBe(0);
    expect(after.last_sync_at).not.toBeNull();
    await eventually(
      async () => {
        const [{ n }] = await t.db.query(
          'SELECT count(*)::int AS n FROM activity_samples WHERE patient_id = $1',
          [patient],
        );
        return n === 90;
      },
      20_000,
      'every point once',
    );
  });

  it('Withings 601 (too many requests, in a 200 body): no pull for a minute, then a pull is due', async () => {
    const { t } = s;
    const patient = await newEnrolledPatient();
    withings.consentingUser = '601601';
    withings.setDays('601601', withingsDays(3));
    withings.throttleNext = 1;
    const { id } = await connect(patient, 'withings');
    const waiting = await eventually(
      async () => {
        const [r] = await t.db.query(
          `SELECT extract(epoch FROM retry_at - now()) AS wait, last_error, failures
         FROM wearable_connections WHERE id = $1`,
          [id],
        );
        return r.last_error ? r : null;
      },
      20_000,
      'throttled',
    );
    expect(waiting.last_error).toMatch(/601/);
    expect(Number(waiting.wait)).toBeGreaterThan(50);
    expect(Number(waiting.wait)).toBeLessThanOrEqual(60);
    // A wait the provider asked for is not a failure: no back-off counted.
    expect(waiting.failures).toBe(0);
    // Pulled before then, it is not taken (and comes back when the wait is over).
    const before = withings.dataRequests('601601').length;
    const early = await s.worker
      .get(ProviderSyncProcessor)
      .sync({ connectionId: id }, { id: 'early' } as never);
    expect(early.status).toBe('busy');
    expect(withings.dataRequests('601601').length).toBe(before);
  });
});
