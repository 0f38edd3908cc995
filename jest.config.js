/** Jest across every workspace: TypeScript sources run through ts-jest, packages resolve to their src. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/deploy', '<rootDir>/helm'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  moduleNameMapper: {
    '^@fedkseed/(aggregator|seed-probability|worker)$': '<rootDir>/services/$1/src/index.ts',
    '^@fedkseed/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 60000,
  globalSetup: '<rootDir>/jest.redis-setup.js',
  globalTeardown: '<rootDir>/jest.redis-teardown.js',
};
