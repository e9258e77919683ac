import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the API process (src/console/console.routes.ts):
// index.html at /, hashed files under /assets/. `npm run dev:web` proxies the
// API to a server on :3000 while editing.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets', target: 'es2022', sourcemap: false },
  server: {
    proxy: Object.fromEntries(
      ['/auth', '/usuario', '/cajas', '/recargas', '/drivers', '/drivers-balance', '/cash-collection-points', '/wallets-status', '/ledger'].map(
        (p) => [p, 'http://127.0.0.1:3000'],
      ),
    ),
  },
});
