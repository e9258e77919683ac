import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { z } from 'zod';
import type { Actor } from '../src/core/actor.js';
import { DomainError, ReplayedResponse } from '../src/core/errors.js';
import type { Outcome } from '../src/ledger/group-commit.js';
import { recargaSchema, type Recarga } from '../src/recargas/recargas.schemas.js';
import { salesDecider, type SaleJob } from '../src/recargas/sales.batch.js';
import type { DB } from '../src/db/types.js';
import { bearer, buildTestApp, onPostgres } from './helper.js';

// One batch of top-ups, decided in one statement (sales.batch.ts): every
// sale is decided in arrival order exactly as it would be alone.

const recargaJson = (r: Recarga) => z.encode(recargaSchema, r);
const decideSales = salesDecider();

const ctx = await buildTestApp();
const db = ctx.database.db;
const admin = bearer(ctx.adminToken);
const { call } = ctx;

async function openShift(token: string, nombre: string) {
  const caja = await call('POST', '/cajas', admin, { nombre, saldo: 100 });
  const s = await call('POST', '/cajas/abrir', bearer(token), { id_caja: caja.json().id });
  assert.equal(s.statusCode, 201, s.body);
  return s.json().id as number;
}

const actorOf = async (token: string): Promise<Actor> => {
  const me = (await call('GET', '/auth/me', bearer(token))).json();
  return { id: me.id, email: me.email, nombres: me.nombres, role: me.role, sessionId: 'test' };
};

const outcomeCode = (o: Outcome<Recarga>) => (o.ok ? 'ok' : o.error instanceof DomainError ? o.error.code : String(o.error));

test('a batch decides sales in arrival order: 404 → 403 → 409, and the float as the earlier sales left it', async () => {
  const op1 = await ctx.user('Operador');
  const op2 = await ctx.user('Operador');
  const mine = await openShift(op1.token, 'Caja lote 1');
  const closed = await openShift(op2.token, 'Caja lote 2');
  assert.equal((await call('PATCH', `/cajas/sesion/${closed}/cerrar`, bearer(op2.token), { monto_final_real: 100 })).statusCode, 200);
  const adminSession = await openShift(ctx.adminToken, 'Caja lote admin');
  const inj = await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Entel', monto: 5, id_caja_sesion: adminSession });
  assert.equal(inj.statusCode, 201, inj.body);

  const ops = await db.selectFrom('operadoras').select(['id', 'nombre_operadora', 'account_id']).execute();
  const op = (name: 'Tigo' | 'Entel') => {
    const o = ops.find((r) => r.nombre_operadora === name)!;
    return { id: o.id, account_id: o.account_id };
  };
  const [a1, a2, boss] = [await actorOf(op1.token), await actorOf(op2.token), await actorOf(ctx.adminToken)];
  const job = (actor: Actor, operadora: 'Tigo' | 'Entel', monto: bigint, sessionId: number): SaleJob => ({
    actor,
    operadora,
    operator: op(operadora),
    numero_cliente: '70000001',
    monto,
    sessionId,
  });

  const outcomes = await decideSales(db, [
    job(a1, 'Entel', 300n, mine), // ok: 5.00 → 2.00
    job(a1, 'Entel', 300n, mine), // 409: only 2.00 left
    job(a1, 'Entel', 200n, mine), // ok: a smaller sale after a refused one still fits
    job(a2, 'Entel', 10n, mine), // 403: not op2's session
    job(a1, 'Entel', 10n, 2_000_000), // 404 before anything else
    job(boss, 'Tigo', 10n, mine), // 409: Tigo holds nothing
    job(boss, 'Entel', 10n, closed), // 409: closed session
    job(a1, 'Entel', 10n, closed), // 403 (op2's session) comes before its 409 (closed)
    job(a2, 'Entel', 10n, closed), // its owner gets the 409
  ]);
  assert.deepEqual(outcomes.map(outcomeCode), [
    'ok',
    'OPERATOR_INSUFFICIENT_BALANCE',
    'ok',
    'SESSION_NOT_OWNED',
    'SESSION_NOT_FOUND',
    'OPERATOR_INSUFFICIENT_BALANCE',
    'SESSION_CLOSED',
    'SESSION_NOT_OWNED',
    'SESSION_CLOSED',
  ]);
  const sold = outcomes.flatMap((o) => (o.ok ? [o.value] : []));
  assert.ok(sold[0]!.id < sold[1]!.id, 'ids follow arrival order');
  assert.deepEqual(
    sold.map((s) => [s.monto, s.id_caja_sesion]),
    [
      [300n, mine],
      [200n, mine],
    ],
  );

  // Exactly the two accepted sales were written, with their movements and totals.
  const saldos = (await call('GET', '/recargas/operadoras/saldos', admin)).json() as { nombre_operadora: string; saldo_actual: number }[];
  assert.equal(saldos.find((s) => s.nombre_operadora === 'Entel')!.saldo_actual, 0);
  const session = (await call('GET', `/cajas/sesion/${mine}`, admin)).json();
  assert.equal(session.total_ingresos, 5);
  assert.equal(session.monto_final_teorico, 105);
  const movements = (await call('GET', `/cajas/sesion/${mine}/movimientos`, admin)).json() as { origen: string; id_origen: number }[];
  assert.deepEqual(
    movements.filter((m) => m.origen === 'RECARGA').map((m) => m.id_origen),
    sold.map((s) => s.id),
  );
  assert.equal((await call('GET', `/cajas/sesion/${closed}`, admin)).json().total_ingresos, 0);
  const verify = (await call('GET', '/ledger/verify', admin)).json();
  assert.equal(verify.ok, true, JSON.stringify(verify.checks));
});

test('a batch in which every sale is refused writes nothing', async () => {
  const op1 = await ctx.user('Operador');
  const mine = await openShift(op1.token, 'Caja lote 3');
  const before = await db.selectFrom('ledger_transfers').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow();
  const tigo = await db.selectFrom('operadoras').select(['id', 'account_id']).where('nombre_operadora', '=', 'Tigo').executeTakeFirstOrThrow();
  const actor = await actorOf(op1.token);
  const outcomes = await decideSales(db, [
    { actor, operadora: 'Tigo', operator: tigo, numero_cliente: '70000002', monto: 100n, sessionId: mine },
    { actor, operadora: 'Tigo', operator: tigo, numero_cliente: '70000002', monto: 1n, sessionId: mine },
  ]);
  assert.deepEqual(outcomes.map(outcomeCode), ['OPERATOR_INSUFFICIENT_BALANCE', 'OPERATOR_INSUFFICIENT_BALANCE']);
  const after = await db.selectFrom('ledger_transfers').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow();
  assert.equal(after.n, before.n);
  assert.equal((await call('GET', `/cajas/sesion/${mine}`, admin)).json().total_ingresos, 0);
});

test('keys in one batch: a twin is in flight, refusals are stored too, and replays are byte-identical', async () => {
  const op1 = await ctx.user('Operador');
  const mine = await openShift(op1.token, 'Caja lote 4');
  const adminSession = (await call('GET', '/cajas/sesion-activa', admin)).json().id as number;
  assert.equal((await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Viva', monto: 3, id_caja_sesion: adminSession })).statusCode, 201);
  const viva = await db.selectFrom('operadoras').select(['id', 'account_id']).where('nombre_operadora', '=', 'Viva').executeTakeFirstOrThrow();
  const actor = await actorOf(op1.token);
  const idem = (key: string, requestHash: string): SaleJob['idem'] => ({
    userId: actor.id,
    method: 'POST',
    path: '/recargas/cliente',
    key,
    requestHash,
    family: 'pos',
    status: 201,
    render: recargaJson,
  });
  const job = (monto: bigint, key?: string, hash = `h${monto}`): SaleJob => ({
    actor,
    operadora: 'Viva',
    operator: viva,
    numero_cliente: '70000003',
    monto,
    sessionId: mine,
    ...(key ? { idem: idem(key, hash) } : {}),
  });

  const first = await decideSales(db, [job(200n, 'k-ok'), job(200n, 'k-ok'), job(200n, 'k-refused'), job(100n)]);
  assert.deepEqual(first.map(outcomeCode), ['ok', 'IDEMPOTENCY_REQUEST_IN_FLIGHT', 'OPERATOR_INSUFFICIENT_BALANCE', 'ok']);
  const sale = (first[0] as { ok: true; value: Recarga }).value;

  const again = await decideSales(db, [job(200n, 'k-ok'), job(200n, 'k-refused'), job(1n)]);
  const replay = again[0] as { ok: false; error: ReplayedResponse };
  assert.ok(replay.error instanceof ReplayedResponse);
  assert.equal(replay.error.status, 201);
  assert.equal(replay.error.body, JSON.stringify(recargaJson(sale)), 'the stored body is the first response, byte for byte');
  assert.equal(JSON.parse(replay.error.body).fecha_hora, sale.fecha_hora.toISOString());
  const refused = again[1] as { ok: false; error: ReplayedResponse };
  assert.ok(refused.error instanceof ReplayedResponse);
  assert.equal(refused.error.status, 409);
  assert.equal(JSON.parse(refused.error.body).message, 'Viva has not enough saldo_actual for this top-up');
  assert.deepEqual(again.slice(2).map(outcomeCode), ['OPERATOR_INSUFFICIENT_BALANCE']);
  assert.deepEqual((await decideSales(db, [job(300n, 'k-ok', 'another body')])).map(outcomeCode), ['IDEMPOTENCY_KEY_REUSED']);

  const history = (await call('GET', `/recargas/historial/clientes?id_caja_sesion=${mine}`, admin)).json() as { id: number }[];
  assert.equal(history.length, 2, 'one keyed and one unkeyed sale, nothing else');
  const keys = await db.selectFrom('idempotency_keys').select(['key', 'status_code']).where('user_id', '=', actor.id).orderBy('key').execute();
  assert.deepEqual(keys, [
    { key: 'k-ok', status_code: 201 },
    { key: 'k-refused', status_code: 409 },
  ]);
});

test('a sale that would move money between currencies is refused as a bug (5xx) and writes nothing; its neighbours go through', async () => {
  const op1 = await ctx.user('Operador');
  const op2 = await ctx.user('Operador');
  const usd = await openShift(op1.token, 'Caja en dólares');
  const bob = await openShift(op2.token, 'Caja en bolivianos');
  // No route can make such a register: it is forced here, under the service.
  const caja = await db.selectFrom('caja_sesiones').innerJoin('cajas', 'cajas.id', 'caja_sesiones.id_caja').select('cajas.account_id').where('caja_sesiones.id', '=', usd).executeTakeFirstOrThrow();
  await db.updateTable('ledger_accounts').set({ currency: 'USD' }).where('id', '=', caja.account_id).execute();
  try {
    const entel = await db.selectFrom('operadoras').select(['id', 'account_id']).where('nombre_operadora', '=', 'Entel').executeTakeFirstOrThrow();
    const adminSession = (await call('GET', '/cajas/sesion-activa', admin)).json().id as number;
    assert.equal((await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Entel', monto: 1, id_caja_sesion: adminSession })).statusCode, 201);
    const sale = (actor: Actor, sessionId: number): SaleJob => ({ actor, operadora: 'Entel', operator: entel, numero_cliente: '70000004', monto: 50n, sessionId });
    const outcomes = await decideSales(db, [sale(await actorOf(op1.token), usd), sale(await actorOf(op2.token), bob)]);
    assert.equal(outcomes[0]!.ok, false);
    assert.ok(!((outcomes[0] as { ok: false; error: unknown }).error instanceof DomainError), 'not a client error');
    assert.equal(outcomes[1]!.ok, true);
    assert.equal((await call('GET', `/cajas/sesion/${usd}`, admin)).json().total_ingresos, 0);
    assert.equal((await call('GET', `/cajas/sesion/${bob}`, admin)).json().total_ingresos, 0.5);
  } finally {
    await db.updateTable('ledger_accounts').set({ currency: 'BOB' }).where('id', '=', caja.account_id).execute();
  }
});

// The batch statement is prepared once per connection and its plan reused,
// so its access paths must not depend on the statistics of the moment: with
// thousands of accounts it once filtered every one of them (an OR of two IN
// lists). The plan PostgreSQL would cache (a generic one) is read here from
// auto_explain: every read of ledger_accounts must be an index probe, and so
// must the keyed sale's lookup of idempotency_keys.
test('the sale batch reaches accounts and stored keys through their primary keys, whatever their size', { skip: !onPostgres && 'needs a PostgreSQL server (auto_explain)' }, async () => {
  const op1 = await ctx.user('Operador');
  const mine = await openShift(op1.token, 'Caja lote plan');
  // A fleet's worth of wallet accounts (balance 0, so verify stays clean).
  await db
    .insertInto('ledger_accounts')
    .columns(['code', 'kind', 'currency', 'floor'])
    .expression(sql`select 'plan-test:' || i, 'WALLET', 'CUP', 0 from generate_series(1, 30000) i`)
    .execute();
  const tigo = await db.selectFrom('operadoras').select(['id', 'account_id']).where('nombre_operadora', '=', 'Tigo').executeTakeFirstOrThrow();
  const actor = await actorOf(op1.token);

  const pool = new pg.Pool({
    connectionString: ctx.database.url,
    max: 1,
    options:
      '-c plan_cache_mode=force_generic_plan -c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 ' +
      '-c auto_explain.log_format=json -c client_min_messages=log',
  });
  const notices: string[] = [];
  pool.on('connect', (client) => client.on('notice', (n) => notices.push(n.message ?? '')));
  const probe = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  try {
    const outcomes = await decideSales(probe, [
      {
        actor,
        operadora: 'Tigo',
        operator: { id: tigo.id, account_id: tigo.account_id },
        numero_cliente: '70000009',
        monto: 100n,
        sessionId: mine,
        idem: { userId: actor.id, method: 'POST', path: '/recargas/cliente', key: 'plan-1', requestHash: 'h', family: 'pos', status: 201, render: recargaJson },
      },
    ]);
    assert.equal(outcomes.length, 1);
  } finally {
    await probe.destroy();
  }
  interface PlanNode { 'Node Type': string; 'Relation Name'?: string; 'Index Cond'?: string; 'Recheck Cond'?: string; Plans?: PlanNode[] }
  const planOf = (marker: string) => {
    const logged = notices.find((m) => m.includes(marker));
    assert.ok(logged, `no plan logged with ${marker} (${notices.length} notices)`);
    const nodes: PlanNode[] = [];
    const walk = (n: PlanNode) => {
      nodes.push(n);
      n.Plans?.forEach(walk);
    };
    walk((JSON.parse(logged.slice(logged.indexOf('{'))) as { Plan: PlanNode }).Plan);
    return nodes;
  };
  const reads = [...planOf('"recargas_cliente"'), ...planOf('"Relation Name": "idempotency_keys"')].filter(
    (n) => (n['Relation Name'] === 'ledger_accounts' || n['Relation Name'] === 'idempotency_keys') && n['Node Type'] !== 'ModifyTable',
  );
  assert.ok(reads.some((n) => n['Relation Name'] === 'idempotency_keys'), 'a plan reads idempotency_keys');
  assert.ok(reads.some((n) => n['Relation Name'] === 'ledger_accounts'), 'a plan reads ledger_accounts');
  for (const n of reads) {
    // An index scan has its condition; a bitmap heap scan rechecks its index's.
    assert.ok(n['Index Cond'] ?? n['Recheck Cond'], `${n['Node Type']} on ${n['Relation Name']} without an index condition`);
  }
  const verify = (await call('GET', '/ledger/verify', admin)).json();
  assert.equal(verify.ok, true, JSON.stringify(verify.checks));
});
