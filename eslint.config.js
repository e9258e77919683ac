import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

// The layers of src/ (README, "Code map"): each imports only from those
// below it. db → ledger → core → features (auth; cajas; recargas, which
// uses cajas; wallets) → http wiring → the app; the CLIs sit beside the app.
const layers = [
  { type: 'db', pattern: 'src/db', allow: [] },
  { type: 'ledger', pattern: 'src/ledger', allow: ['db'] },
  { type: 'core', pattern: 'src/core', allow: ['db', 'ledger'] },
  { type: 'auth', pattern: 'src/auth', allow: ['db', 'ledger', 'core'] },
  { type: 'cajas', pattern: 'src/cajas', allow: ['db', 'ledger', 'core', 'auth'] },
  { type: 'recargas', pattern: 'src/recargas', allow: ['db', 'ledger', 'core', 'auth', 'cajas'] },
  { type: 'wallets', pattern: 'src/wallets', allow: ['db', 'ledger', 'core', 'auth'] },
  { type: 'reportes', pattern: 'src/reportes', allow: ['db', 'ledger', 'core', 'auth'] },
  { type: 'live', pattern: 'src/live', allow: ['db', 'core', 'auth'] },
  { type: 'webhooks', pattern: 'src/webhooks', allow: ['db', 'core', 'auth'] },
  { type: 'http', pattern: 'src/http', allow: ['db', 'ledger', 'core', 'auth'] },
  { type: 'cli', pattern: 'src/cli', allow: ['db', 'ledger', 'app'] },
  // What is left: the files at the top of src/ (the composition root and its start-up).
  { type: 'app', pattern: 'src', allow: ['db', 'ledger', 'core', 'auth', 'cajas', 'recargas', 'wallets', 'reportes', 'live', 'webhooks', 'http'] },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain Node scripts (the TypeScript files get their globals from @types/node).
    files: ['**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.name='parseFloat']", message: 'Money is parsed by src/ledger/money.ts, never as a float.' },
        { selector: "CallExpression[callee.property.name='toFixed']", message: 'Money is formatted by src/ledger/money.ts.' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { alwaysTryTypes: true } },
      'boundaries/elements': layers.map(({ type, pattern }) => ({ type, pattern, partialMatch: false })),
    },
    rules: {
      'boundaries/no-unknown-files': 'error',
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: layers.map(({ type, allow }) => ({
            from: { element: { type } },
            allow: { to: { element: { types: { anyOf: [type, ...allow] } } } },
          })),
        },
      ],
    },
  },
);
