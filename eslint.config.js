// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Files that must run unchanged on Node, Bun, Deno and Workers. */
const runtimeAgnostic = [
  'src/core/**/*.ts',
  'src/http/**/*.ts',
  'src/index.ts',
  'src/adapters/hono.ts',
  'src/metrics/otel.ts',
  'src/metrics/readings.ts',
];

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', '.bench/'] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    files: runtimeAgnostic,
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'This file must stay runtime-agnostic.' }] },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'This file must stay runtime-agnostic.' },
        { name: 'Buffer', message: 'This file must stay runtime-agnostic.' },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts', 'demo/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
