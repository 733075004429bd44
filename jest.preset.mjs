// Shared Jest setup. Nest 12 ships ESM only, so Jest runs in ESM mode
// (NODE_OPTIONS=--experimental-vm-modules, set by each project's scripts) and swc turns our
// TypeScript into ESM with legacy decorators and decorator metadata (what Nest's DI reads).
import { join } from 'node:path';

const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const common = (rootDir) => ({
  rootDir,
  testEnvironment: 'node',
  // Workspace libs resolve to their TypeScript sources in tests (see each package.json's exports).
  testEnvironmentOptions: { customExportConditions: ['@fdt/source', 'node', 'node-addons'] },
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': swc },
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  setupFiles: [join(import.meta.dirname, 'jest.setup.mjs')],
});

/** Unit tests (`*.spec.ts`) and integration tests (`*.int-spec.ts`) of one project. */
export function projectConfig(rootDir, extra = {}) {
  return {
    projects: [
      { ...common(rootDir), displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'], ...extra },
      {
        ...common(rootDir),
        displayName: 'int',
        testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
        testTimeout: 30_000,
        ...extra,
      },
    ],
  };
}

export const workspaceRoot = import.meta.dirname;
export const e2eConfig = (rootDir) => ({
  ...common(rootDir),
  displayName: 'e2e',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  testTimeout: 60_000,
  roots: [join(rootDir)],
});
