// Shared by the global setup and every spec: one throwaway database and Redis key prefix per
// run, recorded in environment variables that Jest's workers inherit.
export const TEST_ADMIN_TOKEN = 'test-operator-token-0123456789abcdef';

export function adminUrl(): string {
  return process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export function databaseUrlFor(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}
