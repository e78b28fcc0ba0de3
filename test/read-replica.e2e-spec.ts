import { ReadReplica } from '@app/persistence';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from './support/app';
import { bearer, factory } from './support/factories';
import { deleteKeysOf } from './support/redis-keys';
import { REPLICA_PORT, ReplicaControl, replicaUrl } from './support/replica';
import { withService } from './support/service';
import { specQueuePrefix, testRedisUrl } from './support/test-env';
import { eventually } from './support/worker';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const STALENESS = 'x-data-staleness-ms';

function get(t: TestApp, key: string, path: string) {
  return t.http.get(path).set(bearer(key)).set('Accept', 'application/fhir+json, application/json');
}

/** A sample of /metrics: the value of `name` with exactly these labels (NaN if absent). */
async function metric(t: TestApp, name: string, labels = ''): Promise<number> {
  const text = (await t.http.get('/metrics').expect(200)).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
}

/**
 * A TCP relay to the replica that the test can cut and restore: the replica "going down" and
 * coming back for one app, without stopping the replica other runs share.
 */
async function relayToReplica(): Promise<{
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let server: Server;
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = createServer((client) => {
        const upstream = tcpConnect(REPLICA_PORT, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(0);
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  const url = new URL(replicaUrl());
  url.port = String(port);
  return {
    url: url.toString(),
    cut,
    restore: async () => void (await listen(port)),
    close: () => (server.listening ? cut() : Promise.resolve()),
  };
}

let control: ReplicaControl;

beforeAll(async () => {
  control = await ReplicaControl.open();
  await control.awaitDatabase(process.env.SCIATRACK_TEST_DATABASE!);
});

// Whatever failed, the replica replays again for the next spec and the next run.
afterAll(() => control?.close());

describe('read replica', () => {
  const prefix = specQueuePrefix('replica');
  // A lag bound no test reaches: the replica serves while its replay is paused.
  const s = withService({
    DATABASE_REPLICA_URL: replicaUrl(),
    DATABASE_REPLICA_MAX_LAG_MS: '60000',
    DATABASE_REPLICA_CHECK_MS: '100',
    QUEUE_PREFIX: prefix,
  });

  afterAll(() => deleteKeysOf(testRedisUrl(), prefix));

  /** Waits until the app's reads that may go to the replica do (its first measures). */
  async function replicaInUse(t: TestApp, key: string): Promise<void> {
    await control.caughtUp();
    await eventually(
      async () => (await get(t, key, '/v1/dashboard/adherence')).headers[STALENESS] !== undefined,
      60_000,
      'reads served by the replica',
    );
  }

  it('serves the listed reads from the replica and the rest from the primary', async () => {
    const { t, c } = s;
    await replicaInUse(t, c.adminKey);
    const id = c.patient.id;
    const fromReplica: [string, string][] = [
      [c.dashboardKey, '/v1/dashboard/adherence?groupBy=clinician'],
      [c.clinicianKey, '/v1/worklist'],
      [c.clinicianKey, `/v1/patients/${id}/flags`],
      [c.clinicianKey, `/v1/patients/${id}/activity/daily`],
      [c.clinicianKey, `/v1/patients/${id}/activity/sources`],
      [c.adminKey, `/fhir/R4/Patient/${id}`],
      [c.adminKey, `/fhir/R4/Observation?patient=${id}`],
      [c.adminKey, `/fhir/R4/Patient/${id}/$everything`],
      [c.adminKey, `/fhir/R4/Group/${c.org.id}`],
    ];
    for (const [key, path] of fromReplica) {
      const res = await get(t, key, path);
      expect([path, res.status]).toEqual([path, 200]);
      expect([path, Number(res.headers[STALENESS])]).toEqual([path, expect.any(Number)]);
      expect(Number(res.headers[STALENESS])).toBeLessThan(60_000);
    }
    const fromPrimary: [string, string][] = [
      [c.adminKey, `/v1/patients/${id}`],
      [c.clinicianKey, `/v1/patients/${id}/adherence`],
      [c.adminKey, `/v1/patients/${id}/programs`],
      [c.adminKey, '/v1/alerts'],
      [c.adminKey, '/v1/api-keys'],
      [c.adminKey, '/fhir/R4/metadata'],
    ];
    for (const [key, path] of fromPrimary) {
      const res = await get(t, key, path);
      expect([path, res.status, res.headers[STALENESS]]).toEqual([path, 200, undefined]);
    }
    expect(await metric(t, 'sciatrack_db_replica_up')).toBe(1);
    expect(
      await metric(t, 'sciatrack_db_replica_reads_total', '{served_by="replica"}'),
    ).toBeGreaterThanOrEqual(fromReplica.length);
  });

  it('reads its own writes from the primary while the replica has not replayed them', async () => {
    const { t, c } = s;
    const f = factory(t.http);
    await replicaInUse(t, c.adminKey);
    await control.pause();
    let created: { id: string };
    try {
      created = await f.patient(c.adminKey, { clinicianId: c.clinician.id });
      // The created record's GET is the primary's…
      await get(t, c.adminKey, `/v1/patients/${created.id}`).expect(200);
      // …while the replica, its replay paused, answers as of before it, and says how stale.
      const stale = await get(t, c.adminKey, `/fhir/R4/Patient/${created.id}`);
      expect(stale.status).toBe(404);
      expect(Number(stale.headers[STALENESS])).toBeGreaterThanOrEqual(0);

      // Keys are looked up on the primary: a key made now serves at once, replica reads included.
      const key = await f.apiKey(c.adminKey, { role: 'clinician', clinicianId: c.clinician.id });
      const read = await get(t, key.key, `/fhir/R4/Patient/${c.patient.id}`);
      expect([read.status, read.headers[STALENESS] !== undefined]).toEqual([200, true]);

      // An Idempotency-Key is looked up on the primary: the retry replays the first answer.
      const body = {
        clientRef: `replica-${created.id}`,
        reportedAt: new Date(Date.now() - 60_000).toISOString(),
        intensity: 3,
        mostDistalSite: 'low_back',
        context: 'baseline',
      };
      const post = () =>
        t.http
          .post(`/v1/patients/${c.patient.id}/pain-reports`)
          .set(bearer(c.appKey))
          .set('Idempotency-Key', `replica-${created.id}`)
          .send(body);
      const first = await post().expect(201);
      const again = await post().expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
    } finally {
      await control.resume();
    }
    // Replaying again, the replica catches up and serves the new patient.
    await eventually(
      async () => {
        const res = await get(t, c.adminKey, `/fhir/R4/Patient/${created.id}`);
        return res.status === 200 && res.headers[STALENESS] !== undefined;
      },
      30_000,
      'the new patient on the replica',
    );
  });

  it('exports what was committed before the kick-off even while the replica is behind it', async () => {
    const { t, c } = s;
    const worker = s.worker.get(ReadReplica);
    await replicaInUse(t, c.adminKey);
    const exportObservations = async (): Promise<string[]> => {
      const kick = await get(t, c.adminKey, '/fhir/R4/Patient/$export?_type=Observation')
        .set('Prefer', 'respond-async')
        .expect(202);
      const status = new URL(kick.headers['content-location']).pathname;
      const manifest = await eventually(
        async () => {
          const res = await get(t, c.adminKey, status);
          return res.status === 200 ? (res.body as Json) : null;
        },
        30_000,
        'export complete',
      );
      const ids: string[] = [];
      for (const file of manifest.output as Json[]) {
        const ndjson = await get(t, c.adminKey, new URL(file.url as string).pathname).expect(200);
        for (const line of ndjson.text.split('\n').filter(Boolean))
          ids.push((JSON.parse(line) as Json).id as string);
      }
      return ids;
    };
    const servedByReplica = async (): Promise<number> => {
      for (const m of worker.metrics) {
        const { name, values } = await m.get();
        if (name !== 'sciatrack_db_replica_reads_total') continue;
        return values.find((v) => v.labels.served_by === 'replica')?.value ?? 0;
      }
      throw new Error('the worker counts no replica reads');
    };

    await control.pause();
    let report: { id: string };
    try {
      report = await factory(t.http).painReport(c.appKey, c.patient.id, { intensity: 6 });
      // The replica, replay paused, lacks the report: the export reads the primary instead.
      const before = await servedByReplica();
      expect(await exportObservations()).toContain(report.id);
      expect(await servedByReplica()).toBe(before);
    } finally {
      await control.resume();
    }
    // In step again, the replica serves the export's reads: once the worker's own lag check
    // has seen it in step (its next check, not the test's), so an export may still read the
    // primary just after the replay caught up.
    await control.caughtUp();
    await eventually(
      async () => {
        const before = await servedByReplica();
        expect(await exportObservations()).toContain(report.id);
        return (await servedByReplica()) > before;
      },
      30_000,
      'an export read from the replica',
    );
  });

  describe('beyond DATABASE_REPLICA_MAX_LAG_MS', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({
        DATABASE_REPLICA_URL: replicaUrl(),
        DATABASE_REPLICA_MAX_LAG_MS: '1000',
        DATABASE_REPLICA_CHECK_MS: '100',
        QUEUE_PREFIX: prefix,
      });
    });
    afterAll(() => t?.close());

    it('reads from the primary while the replica lags, and from the replica again once in step', async () => {
      const { c } = s;
      await replicaInUse(t, c.adminKey);
      await control.pause();
      let id: string;
      try {
        id = (await factory(t.http).patient(c.adminKey, { clinicianId: c.clinician.id })).id;
        // The replica stops being in step with the write; past the bound, the primary answers.
        const res = await eventually(
          async () => {
            const r = await get(t, c.adminKey, `/fhir/R4/Patient/${id}`);
            return r.headers[STALENESS] === undefined ? r : null;
          },
          10_000,
          'a read from the primary',
        );
        expect(res.status).toBe(200);
        expect(await metric(t, 'sciatrack_db_replica_lag_seconds')).toBeGreaterThan(1);
        expect(
          await metric(t, 'sciatrack_db_replica_reads_total', '{served_by="primary",reason="lag"}'),
        ).toBeGreaterThan(0);
      } finally {
        await control.resume();
      }
      await eventually(
        async () => {
          const r = await get(t, c.adminKey, `/fhir/R4/Patient/${id}`);
          return r.status === 200 && r.headers[STALENESS] !== undefined;
        },
        30_000,
        'the replica in use again',
      );
    });
  });

  describe('a replica that is down', () => {
    let relay: Awaited<ReturnType<typeof relayToReplica>>;
    let t: TestApp;

    beforeAll(async () => {
      relay = await relayToReplica();
      t = await createTestApp({
        DATABASE_REPLICA_URL: relay.url,
        DATABASE_REPLICA_MAX_LAG_MS: '60000',
        DATABASE_REPLICA_CHECK_MS: '100',
        QUEUE_PREFIX: prefix,
      });
    });
    afterAll(async () => {
      await t?.close();
      await relay?.close();
    });

    it('breaks no read: the primary serves them until the replica is back', async () => {
      const { c } = s;
      const path = `/fhir/R4/Patient/${c.patient.id}`;
      await replicaInUse(t, c.adminKey);
      await relay.cut();
      // Whether a read meets the dead connection or the check saw it first, it is answered.
      for (let i = 0; i < 5; i++) {
        const res = await get(t, c.adminKey, path);
        expect([res.status, res.headers[STALENESS]]).toEqual([200, undefined]);
      }
      await eventually(
        async () => (await metric(t, 'sciatrack_db_replica_up')) === 0,
        5000,
        'replica reported down',
      );
      await relay.restore();
      await eventually(
        async () => (await get(t, c.adminKey, path)).headers[STALENESS] !== undefined,
        20_000,
        'the replica in use again',
      );
    });

    it('does not keep the API from starting', async () => {
      const dead = await relayToReplica();
      await dead.cut();
      const app = await createTestApp({
        DATABASE_REPLICA_URL: dead.url,
        DATABASE_REPLICA_CHECK_MS: '100',
        QUEUE_PREFIX: prefix,
      });
      try {
        const res = await get(app, s.c.adminKey, `/fhir/R4/Patient/${s.c.patient.id}`);
        expect([res.status, res.headers[STALENESS]]).toEqual([200, undefined]);
        await eventually(
          async () =>
            (await metric(
              app,
              'sciatrack_db_replica_reads_total',
              '{served_by="primary",reason="down"}',
            )) > 0,
          5000,
          'reads counted as the primary’s',
        );
        expect(await metric(app, 'sciatrack_db_replica_up')).toBe(0);
      } finally {
        await app.close();
      }
    });
  });

  describe('without DATABASE_REPLICA_URL', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({ QUEUE_PREFIX: prefix });
    });
    afterAll(() => t?.close());

    it('reads everything from the primary, as ever', async () => {
      const { c } = s;
      await control.pause();
      try {
        const created = await factory(t.http).patient(c.adminKey, { clinicianId: c.clinician.id });
        const res = await get(t, c.adminKey, `/fhir/R4/Patient/${created.id}`);
        expect([res.status, res.headers[STALENESS]]).toEqual([200, undefined]);
        const dashboard = await get(t, c.dashboardKey, '/v1/dashboard/adherence');
        expect([dashboard.status, dashboard.headers[STALENESS]]).toEqual([200, undefined]);
      } finally {
        await control.resume();
      }
      expect((await t.http.get('/metrics').expect(200)).text).not.toContain('sciatrack_db_replica');
    });
  });
});
