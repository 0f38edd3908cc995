// ESLint flat config: typescript-eslint's recommended rules on every package; Prettier owns formatting.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Packages meet only through their public entries (index.ts, "main" when built): no reaching into another
// package's src/ or dist/, no climbing out of a package with ../../ (STYLE.md, "No package reaches into
// another's internals").
const internalImportPatterns = [
  {
    group: ['@fedkseed/*/*'],
    message: "Import the package's public entry (@fedkseed/<name>), not a file inside it.",
  },
  {
    group: ['../../*', '**/packages/*/*', '**/services/*/*'],
    message: "Another package's files are internal: import its public entry (@fedkseed/<name>).",
  },
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/build/**',
      '**/node_modules/**',
      'coverage/**',
      '.ci/out/**',
      'bench/out/**',
      'packages/proto/src/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': ['error', { patterns: internalImportPatterns }],
    },
  },
  {
    files: ['**/*.cjs', '**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      'no-restricted-modules': ['error', { patterns: internalImportPatterns.flatMap((p) => p.group) }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
  prettier,
);
