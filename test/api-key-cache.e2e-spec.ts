import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKeyCache } from '../apps/api/src/auth/api-key-cache.service';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';

/**
 * API processes keep the keys they authenticated in memory; a change to a key must still reach
 * every one of them at once, however it was made, and nothing is cached while a process cannot
 * hear of changes.
 */
describe('API key cache', () => {
  let a: TestApp;
  let b: TestApp;
  let c: Clinic;

  beforeAll(async () => {
    a = await createTestApp();
    b = await createTestApp();
    c = await seedClinic(a.http);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  /** A fresh dashboard key, already known to b's cache. */
  async function keyCachedByB(): Promise<{ id: string; key: string }> {
    const created = await factory(a.http).apiKey(c.adminKey, { role: 'dashboard' });
    await b.http.get('/v1/dashboard/adherence').set(bearer(created.key)).expect(200);
    return created;
  }

  /** Polls until b refuses the key; fails if it is still accepted after `withinMs`. */
  async function refusedByB(key: string, withinMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const res = await b.http.get('/v1/dashboard/adherence').set(bearer(key));
      if (res.status === 401) return Date.now() - started;
      expect(res.status).toBe(200);
      if (Date.now() - started > withinMs) throw new Error(`still accepted after ${withinMs} ms`);
      await sleep(20);
    }
  }

  it('answers a known key from memory: no key lookup on a second request', async () => {
    const created = await keyCachedByB();
    const cache = b.app.get(ApiKeyCache);
    const spy = jest.spyOn(
      (cache as unknown as { keys: { authenticate: () => unknown } }).keys,
      'authenticate',
    );
    try {
      await b.http.get('/v1/dashboard/adherence').set(bearer(created.key)).expect(200);
      expect(spy).not.toHaveBeenCalled();
      // A wrong secret under the same prefix is never answered from memory.
      const wrong = `${created.key.slice(0, -4)}${created.key.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      await b.http.get('/v1/dashboard/adherence').set(bearer(wrong)).expect(401);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('forgets a key revoked through another API process at once', async () => {
    const created = await keyCachedByB();
    await a.http.delete(`/v1/api-keys/${created.id}`).set(bearer(c.adminKey)).expect(204);
    expect(await refusedByB(created.key, 2000)).toBeLessThan(2000);
  });

  it('forgets a key changed by any statement: revoked in SQL, or deleted with its app', async () => {
    const revoked = await keyCachedByB();
    await a.db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [revoked.id]);
    await refusedByB(revoked.key, 2000);

    const app = await factory(a.http).clientApp(c.adminKey);
    const appKey = await factory(a.http).apiKey(c.adminKey, {
      role: 'app',
      clientAppId: app.id,
    });
    await b.http.get(`/v1/patients/${c.otherPatient.id}`).set(bearer(appKey.key)).expect(404);
    await a.db.query(`DELETE FROM api_keys WHERE id = $1`, [appKey.id]);
    const started = Date.now();
    for (;;) {
      const res = await b.http.get(`/v1/patients/${c.otherPatient.id}`).set(bearer(appKey.key));
      if (res.status === 401) break;
      if (Date.now() - started > 2000) throw new Error('a deleted key is still accepted');
      await sleep(20);
    }
  });

  it('caches nothing while it cannot hear of changes, and listens again', async () => {
    const created = await keyCachedByB();
    // Cut every API key listener (both processes'); the changes made meanwhile reach nobody.
    await a.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE query = 'LISTEN "sciatrack_api_keys"' AND pid <> pg_backend_pid()`,
    );
    const cache = b.app.get(ApiKeyCache);
    const listening = () => (cache as unknown as { listener: unknown }).listener !== null;
    for (let i = 0; i < 100 && listening(); i++) await sleep(10);
    expect(listening()).toBe(false);
    await a.db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [created.id]);
    await b.http.get('/v1/dashboard/adherence').set(bearer(created.key)).expect(401);
    // It listens again within seconds, and caches again.
    for (let i = 0; i < 100 && !listening(); i++) await sleep(100);
    expect(listening()).toBe(true);
    await keyCachedByB();
  });
});
