import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import { openDatabase, type Database, type DatabaseOptions } from './db/database.js';

// Shared start-up for the server and the CLIs: the configured database.

/** The configured engine: a pool on DATABASE_URL (it connects on first use), else the embedded one under DATA_DIR. */
export const databaseOptions = (config: Config): DatabaseOptions =>
  config.DATABASE_URL
    ? { url: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE, preparedStatements: config.DB_PREPARED_STATEMENTS }
    : { dataDir: config.DATA_DIR, sharedBuffers: config.EMBEDDED_SHARED_BUFFERS };

export const openConfiguredDatabase = (config: Config): Promise<Database> => openDatabase(databaseOptions(config));

/** JWT_SECRET, or one generated on first start and kept under DATA_DIR. */
export function resolveJwtSecret(config: Config): string {
  if (config.JWT_SECRET) return config.JWT_SECRET;
  const file = path.resolve(config.DATA_DIR, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(config.DATA_DIR, { recursive: true });
    const secret = randomBytes(48).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}
