/**
 * Jest runs the TypeScript sources directly through ts-jest. The few dependencies published only
 * as ES modules (iso-3166), which Node's require() loads as they are, jest's module loader does
 * not: ts-jest turns them into CommonJS for the tests.
 */
const ESM_ONLY = ['iso-3166'];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs' }, diagnostics: false }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  testTimeout: 60000,
  // Two test files at a time, on any machine: most of a file's time is a server starting, SQLite
  // writing or chromium rendering, so two workers on CI's two cores take about 0.65 of the serial
  // time (540-590 s against 834 s on the same machine), and no more than two keeps a many-core
  // machine from starting more servers, browsers and nginx instances at once than the tests' time
  // limits were set for.
  maxWorkers: 2,
};
