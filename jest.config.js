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
  // rather than compute, so a third worker fills idle time. Measured on a fresh clone of this 2-core machine, the same
  // 1,937 tests: 775 s of jest with two workers, 627 s with three.
  maxWorkers: 3,
};
