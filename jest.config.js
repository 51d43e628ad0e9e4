const fs = require('node:fs');
const path = require('node:path');

/** Unit and integration tests run from TypeScript sources; CLI and e2e tests spawn the built CLI (npm test builds first). */
const roots = ['core', 'schema', 'cli', 'plugin', 'executors', 'generators', 'e2e']
  .filter((d) => fs.existsSync(path.join(__dirname, d)))
  .map((d) => `<rootDir>/${d}`);

module.exports = {
  testEnvironment: 'node',
  roots,
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 120000,
};
