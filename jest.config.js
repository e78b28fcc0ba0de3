// Two projects: pure unit specs (no services needed) and e2e specs against the real
// PostgreSQL and Redis. One global setup creates a throwaway database for the run.
const swcConfig = require('./.swcrc.json');

const shared = {
  rootDir: __dirname,
  transform: { '^.+\\.ts$': ['@swc/jest', swcConfig] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@app/(domain|config|persistence|queue|wearables|records|adherence|providers|telemetry)$':
      '<rootDir>/libs/$1/src',
    '^@app/(domain|config|persistence|queue|wearables|records|adherence|providers|telemetry)/(.*)$':
      '<rootDir>/libs/$1/src/$2',
    '^@app/migrations$': '<rootDir>/migrations',
    '^@sciatrack/client$': '<rootDir>/packages/client/src',
  },
  testEnvironment: 'node',
};

module.exports = {
  maxWorkers: 2,
  // Global, not per project: e2e specs start apps and workers against real services.
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
