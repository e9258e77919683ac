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
  const migrator = new Migrator({ db, provider: sqlFileProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function pendingMigrations(db: Kysely<unknown>): Promise<number> {
  const migrator = new Migrator({ db, provider: sqlFileProvider });
  const all = await migrator.getMigrations();
  return all.filter((m) => !m.executedAt).length;
}
