import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { initEmbeddedDataDir } from './embedded-init.js';
import { migrateToLatest } from './migrate.js';
import { pglitePool } from './pglite-pool.js';
import { PREPARE } from './prepare.js';
import type { DB } from './types.js';

// int8 is exact money in minor units: it must never become a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => BigInt(v));
// A date is a calendar day, not an instant: kept as its text (YYYY-MM-DD).
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);

export type Engine = 'postgres' | 'pglite';

export interface Database {
  db: Kysely<DB>;
  engine: Engine;
  close(): Promise<void>;
  /** The server pool's connections: in use, idle, and requests waiting for one (none for the embedded engine). */
  poolStats?: () => { inUse: number; idle: number; waiting: number };
  /** The embedded engine's whole data directory, as a tarball (openDatabase's loadDataDir takes it back). */
  dump?: () => Promise<Blob>;
}

export type DatabaseOptions =
  // preparedStatements false: every statement unnamed (a pooler in transaction mode).
  | { url: string; poolSize?: number; preparedStatements?: boolean }
  // dataDir undefined → in memory (tests); loadDataDir starts from a dump instead of an empty cluster.
  // sharedBuffers: PostgreSQL's shared_buffers for the embedded engine (its default, 160 MB, is most of its memory).
  | { url?: undefined; dataDir?: string; loadDataDir?: Blob; sharedBuffers?: string };

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: 'poolSize' in opts && opts.poolSize ? opts.poolSize : 20,
      // A request should fail fast rather than hang when the server is gone.
      connectionTimeoutMillis: 5000,
    });
    // Idle clients that lose their server emit 'error'; without a listener
    // that would crash the process instead of surfacing as /ready 503.
    pool.on('error', () => {});
    if (opts.preparedStatements !== false) pool.on('connect', prepareMarkedStatements);
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      engine: 'postgres',
      close: () => db.destroy(),
      poolStats: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    };
  }
  let dataDir: string | undefined;
  let unlock = () => {};
  if ('dataDir' in opts && opts.dataDir) {
    dataDir = path.resolve(opts.dataDir, 'pgdata');
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(opts.dataDir);
  }
  // Loaded only in embedded mode: the WASM engine costs ~45 MB of memory.
  const { PGlite, types: pgliteTypes } = await import('@electric-sql/pglite');
  let lite: Awaited<ReturnType<typeof PGlite.create>>;
  try {
    if (dataDir && !('loadDataDir' in opts && opts.loadDataDir)) await initEmbeddedDataDir(dataDir, 'sharedBuffers' in opts ? opts.sharedBuffers : undefined);
    lite = await PGlite.create(dataDir, {
      parsers: { [pgliteTypes.INT8]: (v: string) => BigInt(v), [pgliteTypes.DATE]: (v: string) => v },
      ...('loadDataDir' in opts && opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    });
  } catch (err) {
    unlock();
    throw err;
  }
  // shared_buffers (a validated size such as 32MB) applies from the next
  // start: a new directory has it from initdb (embedded-init.ts), a changed
  // setting from the restart after.
  if ('sharedBuffers' in opts && opts.sharedBuffers && dataDir) {
    const { rows } = (await lite.query(`select current_setting('shared_buffers') as v`)) as { rows: Array<{ v: string }> };
    if (rows[0]?.v !== opts.sharedBuffers) await lite.exec(`alter system set shared_buffers = '${opts.sharedBuffers}'`);
  }
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: async () => pglitePool(lite) as never }) });
  // The pool is made on first use: a database never queried is closed here.
  const close = async () => {
    await db.destroy();
    if (!lite.closed) await lite.close();
    unlock();
  };
  return { db, engine: 'pglite', close, dump: () => lite.dumpDataDir('none') };
}

/**
 * The embedded engine belongs to one process (API.md §6.7): two on one data
 * directory would corrupt it. A lock file holds the owner's pid; a second
 * opener is refused while that process lives, and takes over a lock left by
 * one that died (killed, say; in a container the restarted process may even
 * have the same pid, which is why this process's own locks are tracked).
 * Two processes starting at the very same moment over a dead owner's lock
 * could still both take it: start one at a time. Returns the release.
 */
const heldLocks = new Set<string>();

function lockDataDir(dir: string): () => void {
  const file = path.resolve(dir, 'embedded.pid');
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      heldLocks.add(file);
      return () => {
        if (!heldLocks.delete(file)) return;
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const seen = readFileSync(file, 'utf8');
      const owner = Number(seen.trim());
      const live = Number.isInteger(owner) && owner > 0 && (owner === process.pid ? heldLocks.has(file) : isAlive(owner));
      if (attempt > 0 || live) {
        throw new Error(
          `DATA_DIR ${dir} is in use by process ${owner}: the embedded database belongs to one process. ` +
            'Stop that one first, or run several processes on a PostgreSQL server (DATABASE_URL).',
          { cause: err },
        );
      }
      // Its owner is gone; removed only if it is still that owner's (not a lock just taken by another starter).
      if (readFileSync(file, 'utf8') === seen) unlinkSync(file);
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A database with every migration applied (closed again if one fails). */
export async function openMigratedDatabase(opts: DatabaseOptions): Promise<Database> {
  const database = await openDatabase(opts);
  try {
    await migrateToLatest(database.db as never);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

export async function ping(db: Kysely<DB>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

export { PREPARE } from './prepare.js';

function prepareMarkedStatements(client: pg.PoolClient) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (text: unknown, values?: unknown) => {
    if (typeof text === 'string' && text.startsWith(PREPARE)) {
      const name = `p_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      return query({ name, text, values });
    }
    return values === undefined ? query(text) : query(text, values);
  };
}
