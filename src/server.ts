import { buildApp } from './app.js';
import { purgeAuthRecords } from './auth/auth.service.js';
import { ConfigError, loadConfig } from './config.js';
import { purgeIdempotencyKeys } from './core/idempotency.js';
import { ping } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { openConfiguredDatabase, resolveJwtSecret } from './runtime.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const config = loadConfig();
  // On a server the pool connects on first use, so the process can listen
  // (and /health answer) while the database is not reachable yet; the
  // embedded engine is opened here and now.
  const database = await openConfiguredDatabase(config);
  let available = false;
  const app = await buildApp({
    config,
    db: database.db,
    jwtSecret: resolveJwtSecret(config),
    logger: {
      level: config.LOG_LEVEL,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    available: () => available,
    listenUrl: database.engine === 'postgres' ? (config.DATABASE_LISTEN_URL ?? config.DATABASE_URL) : undefined,
    poolStats: database.poolStats,
  });

  // Graceful shutdown (API.md §6.6, §6.7): /ready answers 503 at once; the
  // listener closes (new connections are refused) while every request
  // already received is answered and every queued write finishes. At
  // SHUTDOWN_TIMEOUT_MS the writes not yet started are refused with 503 and
  // write nothing; what has started is never cut off. Then the pool closes
  // and the process exits 0.
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const timeoutMs = config.SHUTDOWN_TIMEOUT_MS;
    app.log.info({ signal, timeoutMs }, 'shutting down: finishing what was received');
    app.beginShutdown();
    const deadline = setTimeout(() => {
      app.log.warn({ queuedWrites: app.writes.queued }, 'shutdown: time is up; writes not yet started are refused');
      app.refuseNewWrites();
    }, timeoutMs);
    // A request stuck past all reason (a lock held elsewhere) must not keep the process forever.
    setTimeout(() => {
      app.log.error('shutdown: still not closed; exiting anyway');
      process.exit(1);
    }, 2 * timeoutMs + 10_000).unref();
    try {
      // Served until nothing has been in flight for a moment, then the idle connections close.
      for (let quiet = 0; quiet < 3; ) {
        await sleep(50);
        quiet = app.inFlight() === 0 ? quiet + 1 : 0;
      }
      await app.close();
      clearTimeout(deadline);
      await database.close();
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    app.log.info('shut down');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  // Migrations, the first administrator, then hourly housekeeping: idempotency
  // keys past their 48 h, old login failures and long-expired sessions.
  // Money records are never purged.
  const prepare = async () => {
    await migrateToLatest(database.db as never);
    await app.services.auth.bootstrapAdmin({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD }, app.log);
    const purge = async () => {
      try {
        const keys = await purgeIdempotencyKeys(database.db);
        const auth = await purgeAuthRecords(database.db);
        if (keys + auth > 0) app.log.info({ keys, auth }, 'expired records removed');
      } catch (err) {
        app.log.warn({ err }, 'housekeeping failed');
      }
    };
    // Housekeeping does not hold up readiness.
    void purge();
    setInterval(purge, 3600_000).unref();
    available = true;
    app.startBackground();
  };
  const ready = () => {
    app.log.info({ engine: database.engine, prefix: config.API_PREFIX || '/' }, 'service ready');
    // For the loader of the bundle (scripts/server-loader.mjs): what a start compiles is all compiled now.
    process.emit('cash-ledger:ready' as never);
  };

  if (database.engine === 'pglite') {
    await prepare();
    await app.listen({ port: config.PORT, host: config.HOST });
    return ready();
  }
  await app.listen({ port: config.PORT, host: config.HOST });
  // Until the server answers, /ready and every route but /health are 503. A
  // database that answers but refuses a migration stops the process.
  for (let delay = 500; !closing; delay = Math.min(delay * 2, 10_000)) {
    if (await ping(database.db)) {
      await prepare();
      return ready();
    }
    app.log.warn({ retryInMs: delay }, 'database not reachable yet');
    await sleep(delay);
  }
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('failed to start:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
