import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp, type App, type AppOptions } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, openMigratedDatabase, type Database } from '../src/db/database.js';
import type { Role } from '../src/db/tables/auth.js';

// Each test file gets a database of its own: PGlite in memory by default, or a
// fresh database on the server named by TEST_DATABASE_URL, dropped afterwards.
// The migrations run once per version of them: later files start from a
// copy (a PGlite data-directory dump in the temporary folder, or a template
// database on the server), which skips the embedded engine's initdb too.

export const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

/** A test database; on a server, with the URL of the database made for this file. */
export type TestDatabase = Database & { url?: string };

const migrationsDir = fileURLToPath(new URL('../migrations/', import.meta.url));
const schemaVersion = (() => {
  const h = createHash('sha256');
  for (const f of readdirSync(migrationsDir).sort()) h.update(f).update(readFileSync(path.join(migrationsDir, f)));
  h.update(JSON.parse(readFileSync(fileURLToPath(new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url)), 'utf8')).version);
  return h.digest('hex').slice(0, 16);
})();

/** The migrated embedded database as a dump, made by the first test file that needs it. */
async function migratedDump(): Promise<Blob> {
  const dir = path.join(tmpdir(), 'cash-ledger-tests');
  const file = path.join(dir, `pglite-${schemaVersion}.tar`);
  if (!existsSync(file)) {
    const fresh = await openMigratedDatabase({});
    const dump = Buffer.from(await (await fresh.dump!()).arrayBuffer());
    await fresh.close();
    mkdirSync(dir, { recursive: true });
    // Written aside and renamed: a file running alongside never reads half a dump.
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, dump);
    renameSync(partial, file);
  }
  return new Blob([readFileSync(file)]);
}

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** On the server: a migrated template database, made once (under an advisory lock) per schema version. */
async function migratedTemplate(admin: pg.Client, url: string): Promise<string> {
  const template = `t_template_${schemaVersion}`;
  await admin.query('select pg_advisory_lock(hashtext($1))', [template]);
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [template]);
    if (!rowCount) {
      await admin.query(`create database ${template}`);
      const made = await openMigratedDatabase({ url: withDatabase(url, template), poolSize: 1 });
      await made.close();
      await admin.query(`alter database ${template} is_template true`);
    }
  } finally {
    await admin.query('select pg_advisory_unlock(hashtext($1))', [template]);
  }
  return template;
}

export async function testDatabase(): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return openDatabase({ loadDataDir: await migratedDump() });
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const template = await migratedTemplate(admin, url);
    // Two files copying the template at once: the second may find it busy.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`create database ${name} template ${template}`);
        break;
      } catch (err) {
        if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  } finally {
    await admin.end();
  }
  // DB_PREPARED_STATEMENTS=false: the suite as a pooler in transaction mode would see it.
  const opened = await openDatabase({ url: withDatabase(url, name), poolSize: 40, preparedStatements: process.env.DB_PREPARED_STATEMENTS !== 'false' });
  return {
    ...opened,
    url: withDatabase(url, name),
    close: async () => {
      await opened.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export const ADMIN = { email: 'admin@test.local', password: 'admin-password-1' };

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface TestContext {
  app: App;
  /** One request as a client sends it: its headers (usually bearer(token)) and an optional JSON body. */
  call(method: Method, url: string, headers?: Record<string, string>, payload?: unknown): Promise<LightMyRequestResponse>;
  /** The same, required to succeed (2xx): its parsed body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON body, as each test reads it
  ok(method: Method, url: string, headers?: Record<string, string>, payload?: unknown): Promise<any>;
  database: TestDatabase;
  /** A token for a new user of that role (or the bootstrap admin for Administrador). */
  tokenFor(role: Role): Promise<string>;
  user(role: Role): Promise<{ id: string; email: string; password: string; token: string }>;
  adminToken: string;
}

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-123';

export async function buildTestApp(
  env: Record<string, string> = {},
  options: Pick<AppOptions, 'webDir' | 'webhookTiming'> & { database?: TestDatabase } = {},
): Promise<TestContext> {
  const { database: shared, ...appOptions } = options;
  const database = shared ?? (await testDatabase());
  const config = loadConfig({ ...env, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent' });
  // On the server, each app LISTENs for the others' events, as separate processes do.
  const app = await buildApp({
    config,
    db: database.db,
    jwtSecret: config.JWT_SECRET!,
    logger: false,
    listenUrl: database.url,
    poolStats: database.poolStats,
    ...appOptions,
  });
  await app.services.auth.bootstrapAdmin(ADMIN, app.log);
  await app.ready();
  after(async () => {
    await app.close();
    if (!shared) await database.close();
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
  const call: TestContext['call'] = (method, url, headers = {}, payload) =>
    app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  return {
    app,
    call,
    async ok(method, url, headers, payload) {
      const res = await call(method, url, headers, payload);
      if (res.statusCode >= 300) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`);
      return res.body ? res.json() : undefined;
    },
    database,
    adminToken,
    user,
    tokenFor: async (role) => (role === 'Administrador' ? adminToken : (await user(role)).token),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * Real objects a request could move money on, owned by the administrator:
 * a caja with 1000.00 and its open session, 100.00 of Tigo float, a driver
 * with a confirmed 50.00 top-up, a collection point and a pending top-up.
 */
export async function moneyFixtures(ctx: TestContext, name: string) {
  const auth = bearer(ctx.adminToken);
  const post = (url: string, payload: object) => ctx.ok('POST', url, auth, payload);
  const me = await ctx.ok('GET', '/auth/me', auth);
  const caja = await post('/cajas', { nombre: `Caja ${name}`, saldo: 1000 });
  const session = await post('/cajas/abrir', { id_caja: caja.id });
  await post('/recargas/inyeccion', { operadora_destino: 'Tigo', monto: 100, id_caja_sesion: session.id });
  const driver = (await post('/drivers', { nombre: `Driver ${name}` })).data;
  const point = (await post('/cash-collection-points', { name: `Point ${name}` })).data;
  const topup = (await post(`/drivers-balance/${driver.id}/topups`, { collectionPointId: point.id, collectedByUserId: me.id, amount: '50.00' })).data;
  await post(`/drivers-balance/topups/${topup.cashCollectionRecordId}/confirm`, {});
  const pending = (await post(`/drivers-balance/${driver.id}/topups`, { collectionPointId: point.id, collectedByUserId: me.id, amount: '5.00' })).data;
  return { me, caja, session, driver, point, pending };
}
