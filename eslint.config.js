// ESLint flat config. typescript-eslint's `recommended` set without type information, so `npm run lint` stays fast;
// tsc (`npm run typecheck`) does the type-aware checking. Formatting is prettier's job (`npm run format:check`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './eslint/layers.js';

export default tseslint.config(
  {
    // The same generated or machine-written paths .gitignore and .prettierignore leave out.
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      'bench/results/',
      'bench/.data/',
      '.fixtures/',
      'example-data/',
      'aragora-migrate-rejects/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // Same policy as tsc's noUnusedLocals/noUnusedParameters: `const { type: _type, ...rest } = m` drops a key on
      // purpose (src/pipeline/shared/batch-source.ts), and a leading underscore marks a deliberately unused name.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The one-way layering of src/ (ARCHITECTURE.md), checked per import; test/unit/architecture.test.ts tests it.
    files: ['src/**/*.ts'],
    plugins: { aragora: { rules: { layers } } },
    rules: { 'aragora/layers': 'error' },
  },
);
