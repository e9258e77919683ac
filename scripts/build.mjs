// Transpiles src/ to dist/ (one .js per .ts, same layout) for `npm start`:
// running plain JavaScript keeps the server's memory and start-up low, and
// dist/db/migrate.js still finds ../../migrations. Type checking is `npm run typecheck`.
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const entryPoints = readdirSync('src', { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
  .map((f) => `src/${f}`);

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints,
  outdir: 'dist',
  outbase: 'src',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
