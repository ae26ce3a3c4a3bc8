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
};
