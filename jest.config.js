/** Unit and integration tests run from TypeScript sources; e2e tests spawn the built CLI (npm test builds first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/core', '<rootDir>/schema', '<rootDir>/cli', '<rootDir>/plugin', '<rootDir>/executors', '<rootDir>/generators', '<rootDir>/e2e'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 120000,
};
