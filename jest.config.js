/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  // ESM-only packages are compiled to CommonJS for jest (TOOLCHAIN.md).
  transformIgnorePatterns: ['/node_modules/(?!(oidc-provider|openid-client|oauth4webapi|jose|@panva|quick-lru|eta)/)'],
  testTimeout: 30000,
  maxWorkers: 2,
};
