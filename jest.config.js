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
  // A worker whose heap passed 1 GB after a file is replaced by a fresh one: the heap of files that
  // read Socialstyrelsen's workbooks or whole releases grows past 2 GB, and a worker tearing down
  // such a heap when the run ends takes longer than jest's 500 ms wait (it is then killed with a
  // warning), while starting a new worker takes about a second.
  workerIdleMemoryLimit: '1GB',
};
