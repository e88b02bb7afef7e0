/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.[tj]sx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
  },
  // @middy/core is ESM-only: let ts-jest transform it.
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 120000,
  // Three workers on CI's two cores: most suites wait on the emulator, the local runner's timers and the SDK's backoff
  // (measured: a playbook suite uses 40-60 % of one core), so a third worker fills the idle time. The suite passed on a
  // 2-core machine under four times the load (other engineers' test runs beside it) before this was raised.
  maxWorkers: 3,
};
