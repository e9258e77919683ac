import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { buildApp, type App } from '../src/app.js';
import type { Role } from '../src/db/tables/auth.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';

// Each test file gets a database of its own: PGlite in memory by default, or a
// fresh database on the server named by TEST_DATABASE_URL, dropped afterwards.

export const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

/** A test database; on a server, with the URL of the database made for this file. */
export type TestDatabase = Database & { url?: string };

export async function testDatabase(): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  let database: TestDatabase;
  if (url) {
    const name = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${name}`;
    const opened = await openDatabase({ url: u.toString(), poolSize: 40 });
    database = {
      ...opened,
      url: u.toString(),
      close: async () => {
        await opened.close();
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  } else {
    database = await openDatabase({});
  }
  await migrateToLatest(database.db as never);
  return database;
}

export const ADMIN = { email: 'admin@test.local', password: 'admin-password-1' };

export interface TestContext {
  app: App;
  database: TestDatabase;
  /** A token for a new user of that role (or the bootstrap admin for Administrador). */
  tokenFor(role: Role): Promise<string>;
  user(role: Role): Promise<{ id: string; email: string; password: string; token: string }>;
  adminToken: string;
}

export async function buildTestApp(env: Record<string, string> = {}, options: { webDir?: string } = {}): Promise<TestContext> {
  const database = await testDatabase();
  const config = loadConfig({ ...env, JWT_SECRET: 'test-secret-test-secret-test-secret-123', LOG_LEVEL: 'silent' });
  const app = await buildApp({ config, db: database.db, jwtSecret: config.JWT_SECRET!, logger: false, ...options });
  await app.services.auth.bootstrapAdmin(ADMIN, app.log);
  await app.ready();
  after(async () => {
    await app.close();
    await database.close();
  });

  const login = async (email: string, password: string) => {
    const res = await app.inject({ method: 'POST', url: `${config.API_PREFIX}/auth/login`, payload: { email, password } });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
    return res.json().access_token as string;
  };

  let n = 0;
  const user = async (role: Role) => {
    const email = `${role.toLowerCase()}${++n}-${randomBytes(3).toString('hex')}@test.local`;
    const password = 'password-123';
    const created = await app.services.users.create({ email, password, nombres: `${role} ${n}`, role });
    return { id: created.id, email, password, token: await login(email, password) };
  };

  const adminToken = await login(ADMIN.email, ADMIN.password);
  return {
    app,
    database,
    adminToken,
    user,
    tokenFor: async (role) => (role === 'Administrador' ? adminToken : (await user(role)).token),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
