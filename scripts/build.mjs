// Bundles the server into one file, dist/bin/server.cjs, for `npm start`:
// loading one file instead of hundreds of modules (Kysely alone is a few
// hundred) is a fifth of an embedded restart. dist/bin/server.js, what is
// run, is scripts/server-loader.mjs: it runs the bundle through V8's code
// cache. Two levels deep, like the sources in src/<layer>/, so
// ../../migrations and ../../web/dist resolve the same from either. Type
// checking is `npm run typecheck`.
//
// Left outside the bundle, loaded from node_modules: what reads files beside
// its own code (the embedded engine's WebAssembly and data, the docs UI's
// assets, the OpenAPI plugin's package.json), the native password hasher,
// and optional native add-ons that are not installed.
import { copyFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/server.ts'],
  outfile: 'dist/bin/server.cjs',
  bundle: true,
  platform: 'node',
  // CommonJS, so the loader (server-loader.mjs) can run it through V8's code cache.
  format: 'cjs',
  // import() of the embedded engine becomes require() (its CommonJS build): the code cache's script has no module loader.
  supported: { 'dynamic-import': false },
  target: 'node20',
  sourcemap: true,
  // A smaller file to read and compile at every start, and 15-20 MB less
  // resident after it; names are kept, so stack traces and plugin names read
  // as in the sources (the source map has the lines).
  minify: true,
  keepNames: true,
  external: [
    '@electric-sql/pglite',
    '@fastify/swagger',
    '@fastify/swagger-ui',
    '@node-rs/argon2',
    'pg-native',
    'bufferutil',
    'utf-8-validate',
  ],
  // The sources are ES modules: their import.meta, in CommonJS terms.
  define: { 'import.meta.url': '__importMetaUrl', 'import.meta.resolve': '__importMetaResolve' },
  banner: {
    js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href; const __importMetaResolve = (s) => require('node:url').pathToFileURL(require.resolve(s)).href;",
  },
  logLevel: 'warning',
});
copyFileSync('scripts/server-loader.mjs', 'dist/bin/server.js');
