import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// Two tag dimensions (nx's project-dependency-rules): scope:* says which part of the
// product a project belongs to, type:* what kind of project it is. No wildcards.
const depConstraints = [
  // scope: who may import whom
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared', 'scope:testing'] },
  {
    sourceTag: 'scope:platform',
    onlyDependOnLibsWithTags: ['scope:platform', 'scope:shared', 'scope:testing'],
  },
  {
    sourceTag: 'scope:server',
    onlyDependOnLibsWithTags: ['scope:server', 'scope:platform', 'scope:shared', 'scope:testing'],
  },
  {
    sourceTag: 'scope:api',
    onlyDependOnLibsWithTags: ['scope:server', 'scope:platform', 'scope:shared', 'scope:testing'],
  },
  {
    sourceTag: 'scope:worker',
    onlyDependOnLibsWithTags: ['scope:server', 'scope:platform', 'scope:shared', 'scope:testing'],
  },
  {
    sourceTag: 'scope:relay',
    onlyDependOnLibsWithTags: ['scope:relay', 'scope:platform', 'scope:shared', 'scope:testing'],
  },
  { sourceTag: 'scope:agent', onlyDependOnLibsWithTags: ['scope:agent', 'scope:shared', 'scope:testing'] },
  {
    sourceTag: 'scope:cli',
    onlyDependOnLibsWithTags: ['scope:cli', 'scope:agent', 'scope:shared', 'scope:testing'],
  },
  { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:client'] },
  { sourceTag: 'scope:admin', onlyDependOnLibsWithTags: ['scope:admin', 'scope:client'] },
  // The harness itself depends on no lib of ours, so any project's tests can use it without a cycle.
  { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:testing'] },
  {
    sourceTag: 'scope:e2e',
    onlyDependOnLibsWithTags: [
      'scope:testing',
      'scope:agent',
      'scope:shared',
      'scope:client',
      'scope:platform',
    ],
  },
  // k8s/ and monitoring/: offline checks of the manifests and rules (they read the config schema).
  { sourceTag: 'scope:ops', onlyDependOnLibsWithTags: ['scope:platform', 'scope:shared', 'scope:testing'] },
  // type: layering
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:feature', 'type:core', 'type:data-access', 'type:util', 'type:testing'],
  },
  {
    sourceTag: 'type:feature',
    onlyDependOnLibsWithTags: ['type:feature', 'type:core', 'type:data-access', 'type:util', 'type:testing'],
  },
  {
    sourceTag: 'type:core',
    onlyDependOnLibsWithTags: ['type:core', 'type:data-access', 'type:util', 'type:testing'],
  },
  {
    sourceTag: 'type:data-access',
    onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:testing'],
  },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:testing'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing'] },
  {
    sourceTag: 'type:e2e',
    onlyDependOnLibsWithTags: ['type:testing', 'type:feature', 'type:core', 'type:data-access', 'type:util'],
  },
];

// apps/*/src/testing: test support that the apps' builds exclude (tsconfig), so it may use the harness.
const testFiles = [
  '**/*.spec.ts',
  '**/*.int-spec.ts',
  '**/*.e2e-spec.ts',
  'libs/testing/**',
  'e2e/**',
  'apps/*/src/testing/**',
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', '.fdt/**', 'tmp/**', '.tools/**', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
  {
    // Production code: the test harness stays out, and configuration is read in one place.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: [...testFiles, '**/config/*.ts', 'apps/*/src/main.ts', 'apps/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@fdt/testing', message: 'The test harness is for tests only.' }] },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration once, in the app config (config/*.ts).',
        },
      ],
    },
  },
  prettier,
);
