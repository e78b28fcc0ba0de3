import { ConfigError, loadConfig } from './app-config';

describe('loadConfig: webhook settings', () => {
  const production = { NODE_ENV: 'production', ADMIN_TOKEN: 'a-long-operator-token-for-prod' };

  it('refuses to run production with the development secrets key', () => {
    expect(() => loadConfig(production)).toThrow(/WEBHOOK_SECRETS_KEY must be set in production/);
    expect(() =>
      loadConfig({ ...production, WEBHOOK_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') }),
    ).not.toThrow();
  });

  it('wants 32 bytes of base64 for the secrets key', () => {
    expect(() => loadConfig({ WEBHOOK_SECRETS_KEY: 'c2hvcnQ=' })).toThrow(ConfigError);
  });

  it('reads the retry schedule as seconds, and refuses anything else', () => {
    expect(loadConfig({}).webhookRetrySchedule).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0.5, 2,10' }).webhookRetrySchedule).toEqual([
      0.5, 2, 10,
    ]);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: '5,soon' })).toThrow(
      /WEBHOOK_RETRY_SCHEDULE/,
    );
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: '' })).not.toThrow();
  });
});

describe('loadConfig: database roles', () => {
  it('runs as sciatrack_app and, outside production, owns the schema as the postgres superuser', () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBe('postgres://sciatrack_app@127.0.0.1/sciatrack');
    expect(config.DATABASE_OWNER_URL).toBe('postgres://postgres@127.0.0.1/sciatrack');
  });

  it('takes the owner on the server and database of DATABASE_URL when not given', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app:pw@db.internal:6432/clinic' });
    expect(config.DATABASE_OWNER_URL).toBe('postgres://postgres@db.internal:6432/clinic');
  });

  it("puts DATABASE_URL's database into an owner URL that names none", () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:pw@db:5432/clinic',
      DATABASE_OWNER_URL: 'postgres://owner:secret@db:5432',
    });
    expect(config.DATABASE_OWNER_URL).toBe('postgres://owner:secret@db:5432/clinic');
  });

  it('has no owner in production unless one is given', () => {
    const production = {
      NODE_ENV: 'production',
      ADMIN_TOKEN: 'a-long-operator-token-for-prod',
      WEBHOOK_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    expect(loadConfig(production).DATABASE_OWNER_URL).toBeUndefined();
  });

  it.each([
    [
      { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/sciatrack' },
      /must run as a role that owns nothing/,
    ],
    [
      { DATABASE_URL: 'postgres://app@db/one', DATABASE_OWNER_URL: 'postgres://owner@db/two' },
      /DATABASE_OWNER_URL names database "two"/,
    ],
    [{ DATABASE_URL: 'postgres://127.0.0.1:5432/sciatrack' }, /must name its role and database/],
    [{ DATABASE_URL: 'postgres://app@127.0.0.1:5432' }, /must name its role and database/],
    [{ DATABASE_OWNER_URL: 'postgres://127.0.0.1:5432' }, /DATABASE_OWNER_URL must name its role/],
    [{ DATABASE_OWNER_URL: 'mysql://root@db/x' }, /DATABASE_OWNER_URL must be a postgres:\/\/ URL/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('optional settings', () => {
  it('reads every optional setting it declares (an undeclared one would be dropped silently)', () => {
    const config = loadConfig({
      FHIR_BASE_URL: 'https://api.example.org/fhir/R4',
      PUBLIC_BASE_URL: 'https://api.example.org',
      WITHINGS_CLIENT_ID: 'w-id',
      WITHINGS_CLIENT_SECRET: 'w-secret',
      GOOGLE_HEALTH_CLIENT_ID: 'g-id',
      GOOGLE_HEALTH_CLIENT_SECRET: 'g-secret',
      DATABASE_REPLICA_URL: 'postgres://sciatrack_app@replica:5432/sciatrack',
    });
    expect([
      config.FHIR_BASE_URL,
      config.PUBLIC_BASE_URL,
      config.WITHINGS_CLIENT_ID,
      config.WITHINGS_CLIENT_SECRET,
      config.GOOGLE_HEALTH_CLIENT_ID,
      config.GOOGLE_HEALTH_CLIENT_SECRET,
      config.DATABASE_REPLICA_URL,
    ]).toEqual([
      'https://api.example.org/fhir/R4',
      'https://api.example.org',
      'w-id',
      'w-secret',
      'g-id',
      'g-secret',
      'postgres://sciatrack_app@replica:5432/sciatrack',
    ]);
  });
});

describe('loadConfig: read replica', () => {
  it('has none unless DATABASE_REPLICA_URL is given', () => {
    expect(loadConfig({}).DATABASE_REPLICA_URL).toBeUndefined();
    expect(loadConfig({ DATABASE_REPLICA_URL: '' }).DATABASE_REPLICA_URL).toBeUndefined();
  });

  it('takes the runtime role on the same database, on another server', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:pw@db:5432/clinic',
      DATABASE_REPLICA_URL: 'postgres://app:pw@db-replica:5432/clinic',
      DATABASE_REPLICA_MAX_LAG_MS: '2000',
      DATABASE_REPLICA_CHECK_MS: '250',
    });
    expect(config.DATABASE_REPLICA_URL).toBe('postgres://app:pw@db-replica:5432/clinic');
    expect([config.DATABASE_REPLICA_MAX_LAG_MS, config.DATABASE_REPLICA_CHECK_MS]).toEqual([
      2000, 250,
    ]);
  });

  it.each([
    [
      { DATABASE_REPLICA_URL: 'mysql://app@db/x' },
      /DATABASE_REPLICA_URL must be a postgres:\/\/ URL/,
    ],
    [
      { DATABASE_REPLICA_URL: 'postgres://db-replica:5432/sciatrack' },
      /must name its role and database/,
    ],
    [
      { DATABASE_REPLICA_URL: 'postgres://sciatrack_app@db-replica' },
      /must name its role and database/,
    ],
    [
      { DATABASE_REPLICA_URL: 'postgres://postgres@db-replica/sciatrack' },
      /connects as "postgres" to "sciatrack"; a replica serves the runtime role/,
    ],
    [
      { DATABASE_REPLICA_URL: 'postgres://sciatrack_app@db-replica/other' },
      /a replica serves the runtime role of DATABASE_URL \("sciatrack_app"\) on its database \("sciatrack"\)/,
    ],
    [
      {
        DATABASE_REPLICA_URL: 'postgres://sciatrack_app@db-replica/sciatrack',
        DATABASE_REPLICA_CHECK_MS: '5000',
      },
      /DATABASE_REPLICA_CHECK_MS must be less than DATABASE_REPLICA_MAX_LAG_MS/,
    ],
    [
      { DATABASE_REPLICA_MAX_LAG_MS: '10' },
      /DATABASE_REPLICA_MAX_LAG_MS must not be less than 100/,
    ],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
