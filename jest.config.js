/** @type {import('jest').Config} */
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // dinero.js v2, uuid and typebox ship ES modules only. Node 20 can require() them, Jest's module
  // loader cannot, so they are transformed to CommonJS. The project's own .mjs (global setup) stays native.
  transform: { '/node_modules/.+\\.m?js$': swc, '^.+\\.ts$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(dinero\\.js|@dinero\\.js|uuid|typebox)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 120_000,
  maxWorkers: 2,
};
