import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

// The web console (web/, built by `npm run build:web` into web/dist) is a
// single-page app with hash routing, so the server only ever serves three
// things: `/`, `/index.html` and the hashed files under `/assets/`. Nothing
// else is claimed: unknown API paths keep their 404, and no API route can be
// shadowed. The console calls the public API with the user's token like any
// other client.

/** web/dist next to src/ (tsx) or dist/ (npm start): both sit one level below the root. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export const CONSOLE_PATHS = ['/', '/index.html'];
export const isConsoleRoute = (url: string) => CONSOLE_PATHS.includes(url) || url.startsWith('/assets/');

// The document's own policy (it governs the scripts and styles it loads).
// Unlike helmet's default it has no upgrade-insecure-requests, so a POS on a
// LAN address over plain http still loads its assets.
const CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * Registers the console if it has been built; otherwise logs a warning and
 * serves nothing (the API works the same without it).
 */
export async function registerConsole(app: FastifyInstance, opts: { apiPrefix: string; webDir?: string }) {
  const webDir = opts.webDir ?? DEFAULT_WEB_DIR;
  const indexFile = path.join(webDir, 'index.html');
  if (!existsSync(indexFile)) {
    app.log.warn({ webDir }, 'web console not built (npm run build:web); serving the API only');
    return;
  }
  // The API prefix is handed to the page in a meta tag, so one build works
  // under any API_PREFIX.
  const html = readFileSync(indexFile, 'utf8').replace(
    /<meta name="api-prefix" content="[^"]*"\s*\/?>/,
    `<meta name="api-prefix" content="${escapeAttr(opts.apiPrefix)}" />`,
  );

  const sendIndex = async (_request: unknown, reply: FastifyReply) =>
    reply
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(html);
  for (const url of CONSOLE_PATHS) {
    app.get(url, { config: { public: true }, schema: { hide: true } }, sendIndex);
  }

  const assets = path.join(webDir, 'assets');
  if (existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      // Only plain file names under assets/: a path that tries to leave the
      // folder is a 404 like any missing file (send would answer 403).
      allowedPath: (pathName) => /^\/?[A-Za-z0-9._-]+$/.test(pathName) && !pathName.includes('..'),
      // File names carry a content hash.
      immutable: true,
      maxAge: '365d',
    });
  }
}
