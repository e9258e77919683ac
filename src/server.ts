import { buildApp } from './app.js';
import { purgeAuthRecords } from './auth/auth.service.js';
import { ConfigError, loadConfig } from './config.js';
import { purgeIdempotencyKeys } from './http/idempotency.js';
import { openMigratedDatabase, resolveJwtSecret } from './runtime.js';

async function main() {
  const config = loadConfig();
  const database = await openMigratedDatabase(config);
  const app = await buildApp({
    config,
    db: database.db,
    jwtSecret: resolveJwtSecret(config),
    logger: {
      level: config.LOG_LEVEL,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
  });
  await app.services.auth.bootstrapAdmin({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD }, app.log);

  // Hourly housekeeping: idempotency keys past their 48 h, old login
  // failures and long-expired sessions. Money records are never purged.
  const purge = async () => {
    try {
      const keys = await purgeIdempotencyKeys(database.db);
      const auth = await purgeAuthRecords(database.db);
      if (keys + auth > 0) app.log.info({ keys, auth }, 'expired records removed');
    } catch (err) {
      app.log.warn({ err }, 'housekeeping failed');
    }
  };
  await purge();
  setInterval(purge, 3600_000).unref();

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.PORT, host: config.HOST });
  app.log.info({ engine: database.engine, prefix: config.API_PREFIX || '/' }, 'service ready');
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('failed to start:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
