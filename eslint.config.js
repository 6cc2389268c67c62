// Lint rules: typescript-eslint's recommended type-aware set, nothing exotic.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**', 'docs/**', '**/*.generated.ts'] },
  js.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  // The dashboard's script runs in the browser.
  { files: ['src/fleet/dashboard/client/**'], languageOptions: { globals: { ...globals.browser } } },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
);
