// dist/bin/server.js: runs the bundled server (server.cjs) through V8's
// code cache. Compiling the bundle, and then each function it calls while
// starting, was a fifth of an embedded restart; the cache holds that
// compiled code, written once the first start is ready, so a restart
// reads it instead. The cache is keyed by the bundle's content (a rebuild
// of the same sources reuses it); V8 itself refuses a cache that does not
// match (another Node.js, other flags), and the server then starts as it
// would without one, and writes a new one.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const filename = fileURLToPath(new URL('./server.cjs', import.meta.url));
const cacheDir = fileURLToPath(new URL('../../node_modules/.cache/cash-ledger/', import.meta.url));
const hash = (...parts) => createHash('sha1').update(parts.join('\0')).digest('hex').slice(0, 16);

/** The bundle compiled with the cache, if there is one; the source and the cache are not kept once compiled. */
function compile() {
  const source = readFileSync(filename, 'utf8');
  // V8 refuses a cache made under other flags (--max-semi-space-size among them): one per set of flags.
  const build = `server-${hash(process.version, source)}-`;
  const cacheFile = path.join(cacheDir, `${build}${hash(process.execArgv.join(' '))}.v8`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename, cachedData });
  return { script, build, cacheFile, cached: cachedData !== undefined && !script.cachedDataRejected };
}

const { script, build, cacheFile, cached } = compile();
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(filename), module, filename, path.dirname(filename));

if (!cached) {
  // Once the service is ready (src/server.ts), so every function a start
  // compiles is in it. A read-only install just starts without a cache.
  process.once('cash-ledger:ready', () => {
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(`${cacheFile}.${process.pid}`, script.createCachedData());
      renameSync(`${cacheFile}.${process.pid}`, cacheFile);
      // Those of earlier builds are of no further use.
      for (const f of readdirSync(cacheDir)) if (f.startsWith('server-') && !f.startsWith(build)) rmSync(path.join(cacheDir, f), { force: true });
    } catch {
      // no cache: the next start compiles again
    }
  });
}
