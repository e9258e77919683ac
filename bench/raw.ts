// The raw baseline of `npm run bench`: what the database itself gives for
// one top-up per transaction, with no HTTP, no batching and no service in
// between. The same ledger shape as a sale of the service, on the hot rows
// (one session, one operator float, one register's cash):
//   BEGIN; lock the session; lock both accounts in id order; one statement
//   that moves the balances, writes the transfer, the recarga, the session
//   total and the outbox event; COMMIT.
// It runs on a scratch database of its own, migrated and seeded through the
// service (an Administrador, a register, an open session, a funded float):
// a fresh database on the same PostgreSQL server as the service, or for the
// embedded engine a PGlite data directory on disk (durable, as the service's).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openMigratedDatabase } from '../src/db/database.js';

export interface RawResult {
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  sales: number;
}

/** One sale's transaction, after BEGIN: what a hand-written service would send. */
const LOCK_SESSION = `select cs.estado_sesion, k.account_id from caja_sesiones cs join cajas k on k.id = cs.id_caja
                       where cs.id = $1 for no key update of cs`;
const LOCK_ACCOUNTS = `select id, posted - pending_debits as available, floor from ledger_accounts
                        where id = any($1::bigint[]) order by id for no key update`;
const WRITE = `
  with rid as (select nextval('recargas_cliente_id_seq')::integer as id),
  t as (
    insert into ledger_transfers (debit_account_id, credit_account_id, amount, phase, kind, ref_type, ref_id, user_id)
    select $1::bigint, $2::bigint, $3::bigint, 'SINGLE', 'RECARGA', 'recarga_cliente', rid.id::text, $4::uuid from rid
    returning id
  ),
  bal as (
    update ledger_accounts a set posted = a.posted + d.delta
      from (values ($1::bigint, -$3::bigint), ($2::bigint, $3::bigint)) d(id, delta)
     where a.id = d.id
  ),
  r as (
    insert into recargas_cliente (id, id_operadora, numero_cliente, monto, id_caja_sesion, id_usuario, transfer_id, movimiento_id)
    select rid.id, $5::integer, '78945612', $3::bigint, $6::integer, $4::uuid, t.id, nextval('caja_movimientos_id_seq')::integer from rid, t
    returning id, fecha_hora
  ),
  s as (update caja_sesiones set total_ingresos = total_ingresos + $3::bigint where id = $6::integer),
  e as (
    insert into outbox_events (type, data, audience)
    select 'recarga.completed', jsonb_build_object('id', r.id, 'operadora', 'Tigo', 'numero_cliente', '78945612', 'monto', round($3::bigint / 100.0, 2),
                                                   'fecha_hora', r.fecha_hora, 'id_caja_sesion', $6::integer, 'estado', 'COMPLETADA'),
           jsonb_build_object('users', jsonb_build_array($4::uuid))
      from r
  )
  select id from r`;

interface Seed {
  session: number;
  user: string;
  operator: number;
  float: bigint;
  cash: bigint;
}

type Query = (text: string, values: unknown[], name: string) => Promise<Array<Record<string, unknown>>>;

/** One sale in one transaction; false when refused (the float or the session said no), nothing written then. */
async function sellOnce(q: Query, seed: Seed): Promise<boolean> {
  const monto = 100n;
  await q('begin', [], '');
  try {
    const [session] = await q(LOCK_SESSION, [seed.session], 'raw_lock_session');
    const accounts = await q(LOCK_ACCOUNTS, [[String(seed.float), String(seed.cash)]], 'raw_lock_accounts');
    const float = accounts.find((a) => BigInt(a.id as string | bigint) === seed.float)!;
    if (session?.estado_sesion !== 'ABIERTA' || BigInt(float.available as string | bigint) - monto < BigInt(float.floor as string | bigint)) {
      await q('rollback', [], '');
      return false;
    }
    await q(WRITE, [String(seed.float), String(seed.cash), String(monto), seed.user, seed.operator, seed.session], 'raw_write');
    await q('commit', [], '');
    return true;
  } catch (err) {
    await q('rollback', [], '').catch(() => {});
    throw err;
  }
}

/**
 * `connections` clients selling in a loop for `seconds`; each takes a
 * connection for every sale (PGlite has one: the clients queue for it).
 */
async function drive(take: () => Promise<{ q: Query; release(): void }>, seed: Seed, connections: number, seconds: number): Promise<RawResult> {
  const latencies: number[] = [];
  let sales = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const c = await take();
        try {
          if (await sellOnce(c.q, seed)) sales++;
        } finally {
          c.release();
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! * 10) / 10;
  return { connections, rps: Math.round(latencies.length / elapsed), p50: pct(50), p99: pct(99), sales };
}

/** A raw baseline set up and ready: `at` drives it at a concurrency for some seconds; `close` drops it. */
export interface RawBaseline {
  at(connections: number, seconds: number): Promise<RawResult>;
  close(): Promise<void>;
}

/** Migrates and seeds the scratch database through the service itself. */
async function seed(database: Awaited<ReturnType<typeof openMigratedDatabase>>): Promise<Seed> {
  const config = loadConfig({ JWT_SECRET: 'raw-baseline-secret-0123456789abcdef', LOG_LEVEL: 'silent' });
  const app = await buildApp({ config, db: database.db, jwtSecret: config.JWT_SECRET! });
  try {
    await app.services.auth.bootstrapAdmin({ email: 'raw@bench.local', password: 'raw-bench-pass-1' }, app.log);
    const call = async (method: 'POST' | 'GET', url: string, token?: string, payload?: object) => {
      const res = await app.inject({ method, url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (res.statusCode >= 300) throw new Error(`raw baseline seed: ${method} ${url} → ${res.statusCode} ${res.body}`);
      return res.json();
    };
    const token: string = (await call('POST', '/auth/login', undefined, { email: 'raw@bench.local', password: 'raw-bench-pass-1' })).access_token;
    const caja = await call('POST', '/cajas', token, { nombre: 'Raw baseline', saldo: 5_000_000 });
    const session = await call('POST', '/cajas/abrir', token, { id_caja: caja.id });
    await call('POST', '/recargas/inyeccion', token, { operadora_destino: 'Tigo', monto: 2_000_000, id_caja_sesion: session.id });
    const row = await database.db
      .selectFrom('caja_sesiones as s')
      .innerJoin('cajas as k', 'k.id', 's.id_caja')
      .select(['s.id', 's.id_usuario', 'k.account_id'])
      .where('s.id', '=', session.id)
      .executeTakeFirstOrThrow();
    const op = await database.db.selectFrom('operadoras').select(['id', 'account_id']).where('nombre_operadora', '=', 'Tigo').executeTakeFirstOrThrow();
    return { session: row.id, user: row.id_usuario, operator: op.id, float: op.account_id, cash: row.account_id };
  } finally {
    await app.close();
  }
}

/** The raw baseline on a fresh database next to `url` (dropped by close), for up to `maxConnections` clients. */
export async function rawOnPostgres(url: string, maxConnections: number): Promise<RawBaseline> {
  const name = `bench_raw_${process.pid}_${Date.now()}`;
  const at = (db: string) => Object.assign(new URL(url), { pathname: `/${db}` }).toString();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const drop = async () => {
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
  };
  try {
    await admin.query(`create database ${name}`);
    const database = await openMigratedDatabase({ url: at(name) });
    const s = await seed(database).finally(() => database.close());
    const pool = new pg.Pool({ connectionString: at(name), max: maxConnections });
    pool.on('error', () => {}); // idle clients of the scratch database, ended by its drop
    const take = async () => {
      const client = await pool.connect();
      // Named statements: prepared once per connection, as a careful hand-written service would.
      const q: Query = async (text, values, n) => (await client.query(n ? { name: n, text, values } : { text, values })).rows;
      return { q, release: () => client.release() };
    };
    return {
      at: (connections, seconds) => drive(take, s, connections, seconds),
      close: () => pool.end().finally(drop),
    };
  } catch (err) {
    await drop();
    throw err;
  }
}

/** The raw baseline on PGlite in this process, on a temporary data directory (removed by close). */
export async function rawEmbedded(): Promise<RawBaseline> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-raw-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const database = await openMigratedDatabase({ dataDir: dir });
    const s = await seed(database).finally(() => database.close());
    const { PGlite } = await import('@electric-sql/pglite');
    const lite = await PGlite.create(path.join(dir, 'pgdata'));
    // One statement at a time: a client holds the engine from BEGIN to COMMIT.
    const q: Query = async (text, values) => (await lite.query<Record<string, unknown>>(text, values)).rows;
    let queue: Promise<unknown> = Promise.resolve();
    const take = async () => {
      let release!: () => void;
      const turn = queue;
      queue = new Promise<void>((r) => (release = r));
      await turn;
      return { q, release };
    };
    return {
      at: (connections, seconds) => drive(take, s, connections, seconds),
      close: () => lite.close().finally(remove),
    };
  } catch (err) {
    remove();
    throw err;
  }
}
