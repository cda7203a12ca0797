/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The construct package's entry points resolve to its sources here (tsconfig.json `paths`).
  moduleNameMapper: {
    '^@warden/constructs$': '<rootDir>/constructs/src/index.ts',
    '^@warden/constructs/(aws|gcp|compliance)$': '<rootDir>/constructs/src/$1/index.ts',
  },
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  // ESM-only packages are compiled to CommonJS for jest.
  transformIgnorePatterns: [
    '/node_modules/(?!(oidc-provider|openid-client|oauth4webapi|jose|@panva|quick-lru|eta)/)',
  ],
  // One embedded PostgreSQL 18 for the whole run; tests get its URL through WARDEN_TEST_PG_* variables.
  globalSetup: '<rootDir>/test/support/postgres-setup.mjs',
  globalTeardown: '<rootDir>/test/support/postgres-teardown.mjs',
  testTimeout: 30000,
  maxWorkers: 2,
};
