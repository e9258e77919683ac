import { readdir, readFile } from 'node:fs/promises';
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';

const migrationsDir = new URL('../../migrations/', import.meta.url);

// Plain numbered SQL files (fastify/demo style), run in name order, each in
// its own transaction; Kysely's migrator records them and takes a lock, so
// running this at every start is safe.
const sqlFileProvider: MigrationProvider = {
  async getMigrations() {
    const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(new URL(file, migrationsDir), 'utf8');
      migrations[file.replace(/\.sql$/, '')] = {
        up: async (db) => {
          await sql.raw(text).execute(db);
        },
      };
    }
    return migrations;
  },
};

export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  if ((await pendingMigrations(db)) === 0) return [];
  const migrator = new Migrator({ db, provider: sqlFileProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * How many migration files are not recorded as applied. One plain query:
 * the migrator's own check introspects every table first, which on the
 * embedded engine was a fifth of a restart.
 */
export async function pendingMigrations(db: Kysely<unknown>): Promise<number> {
  const files = Object.keys(await sqlFileProvider.getMigrations());
  let applied: Set<string>;
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    applied = new Set(rows.map((r) => r.name));
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return files.length; // undefined_table: a database never migrated
    throw err;
  }
  return files.filter((f) => !applied.has(f)).length;
}
