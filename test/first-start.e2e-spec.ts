import { loadConfig } from '@app/config';
import { MIGRATIONS } from '@app/migrations';
import { prepareDatabase } from '@app/persistence';
import { createServer, type AddressInfo } from 'node:net';
import { Client } from 'pg';
import { finished, start, waitForOutput } from './support/processes';
import { deleteKeysOf } from './support/redis-keys';
import {
  maintenanceUrl,
  ownerUrlFor,
  runtimeUrlFor,
  specQueuePrefix,
  testRedisUrl,
} from './support/test-env';

// What `npm start` does on a machine that has never run Sciatrack: no database, no runtime
// role. Each case gets both of its own, named after the run so that a killed run's leftovers
// are dropped by the next global setup.
interface Fresh {
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A port no socket holds, as the kernel picks it (a random one in 30000–50000 sometimes fell on
 * one of its ephemeral client ports, and the API could not listen: EADDRINUSE).
 */
async function freePort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return String(port);
}

let fresh = 0;
async function freshServer(): Promise<Fresh> {
  const name = `${process.env.SCIATRACK_TEST_DATABASE}_first_${++fresh}`;
  const runtime = new URL(runtimeUrlFor(name));
  runtime.username = `${name}_app`;
  const prefix = specQueuePrefix('first');
  return {
    env: {
      DATABASE_URL: runtime.toString(),
      DATABASE_OWNER_URL: ownerUrlFor(name),
      QUEUE_PREFIX: prefix,
      PORT: await freePort(),
    },
    async drop() {
      const admin = new Client({ connectionString: maintenanceUrl() });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
        await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(runtime.username)}`);
      } finally {
        await admin.end();
      }
      await deleteKeysOf(testRedisUrl(), prefix);
    },
  };
}

async function apiReady(port: string, api: ReturnType<typeof start>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (api.exitCode !== null) throw new Error(`api exited: ${api.output.stderr}`);
    const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`api not ready: ${api.output.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops both with SIGTERM; each must exit cleanly, having written nothing to stderr. */
async function stopCleanly(...children: ReturnType<typeof start>[]): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  for (const child of children) {
    const result = await finished(child);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  }
}

describe('first start on an empty server', () => {
  it.each([1, 2, 3, 4, 5])(
    'brings the API and the worker, started together, both up (run %i of 5)',
    async () => {
      const server = await freshServer();
      const api = start('api', server.env);
      const worker = start('worker', server.env);
      try {
        await Promise.all([
          apiReady(server.env.PORT, api),
          waitForOutput(worker, /sciatrack worker started/, 60_000),
        ]);
        await stopCleanly(api, worker);
      } finally {
        for (const child of [api, worker]) if (child.exitCode === null) child.kill('SIGKILL');
        await server.drop();
      }
    },
  );

  it('keeps a worker started first waiting until the API has migrated', async () => {
    const server = await freshServer();
    const worker = start('worker', server.env);
    let api: ReturnType<typeof start> | undefined;
    try {
      await waitForOutput(worker, /waiting for the database schema/);
      await new Promise((r) => setTimeout(r, 1000));
      expect(worker.exitCode).toBeNull();
      expect(worker.output.stdout).not.toMatch(/sciatrack worker started/);
      api = start('api', server.env);
      await Promise.all([
        apiReady(server.env.PORT, api),
        waitForOutput(worker, /sciatrack worker started/, 60_000),
      ]);
      await stopCleanly(api, worker);
    } finally {
      for (const child of [api, worker]) if (child?.exitCode === null) child.kill('SIGKILL');
      await server.drop();
    }
  });

  it('stops a worker that no one migrates for after MIGRATIONS_WAIT_MS, with one clear line', async () => {
    const server = await freshServer();
    try {
      const result = await finished(start('worker', { ...server.env, MIGRATIONS_WAIT_MS: '2000' }));
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/is not ready for the runtime role after 2 s/);
      expect(lines[0]).toMatch(/MIGRATIONS_RUN=true.*npm run migration:run/);
    } finally {
      await server.drop();
    }
  });

  it('lets processes that migrate together create the database and the role once', async () => {
    const server = await freshServer();
    try {
      const config = loadConfig({ ...process.env, ...server.env });
      const applied = await Promise.all([1, 2, 3, 4].map(() => prepareDatabase(config)));
      expect(applied.flat()).toHaveLength(MIGRATIONS.length);
      const owner = new Client({ connectionString: config.DATABASE_OWNER_URL });
      await owner.connect();
      const { rows } = await owner.query('SELECT count(*)::int AS n FROM migrations');
      await owner.end();
      expect(rows).toEqual([{ n: MIGRATIONS.length }]);
    } finally {
      await server.drop();
    }
  });
});
