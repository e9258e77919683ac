// Bundles the server into one file, dist/bin/server.js, for `npm start`:
// loading one file instead of hundreds of modules (Kysely alone is a few
// hundred) is a fifth of an embedded restart. Two levels deep, like the
// sources in src/<layer>/, so ../../migrations and ../../web/dist resolve
// the same from either. Type checking is `npm run typecheck`.
//
// Left outside the bundle, loaded from node_modules: what reads files beside
// its own code (the embedded engine's WebAssembly and data, the docs UI's
// assets, the OpenAPI plugin's package.json), the native password hasher,
// and optional native add-ons that are not installed.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/server.ts'],
  outfile: 'dist/bin/server.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: [
    '@electric-sql/pglite',
    '@fastify/swagger',
    '@fastify/swagger-ui',
    '@node-rs/argon2',
    'pg-native',
    'bufferutil',
    'utf-8-validate',
  ],
  // The CommonJS packages inside an ES module bundle still call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
