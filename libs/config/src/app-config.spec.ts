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
