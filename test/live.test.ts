import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignJWT, decodeJwt } from 'jose';
import { io } from 'socket.io-client';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import { bearer, buildTestApp, onPostgres, TEST_JWT_SECRET, type TestContext } from './helper.js';

// Live updates (API.md §6.5, §6.7; issue 17): what sockets receive after
// each money action, who receives what, and that nothing is told of work
// that did not commit.

const ctx = await buildTestApp({ SOCKET_ANONYMOUS: 'true', CORS_ORIGINS: 'http://pos.example' });
const admin = bearer(ctx.adminToken);
await ctx.app.listen({ port: 0, host: '127.0.0.1' });
const url = (c: TestContext) => `http://127.0.0.1:${(c.app.server.address() as { port: number }).port}`;

type Message = { kind: 'dataChanged' | 'event'; body: Record<string, unknown> };

/** A connected socket and everything it has received. */
async function connect(token?: string, c: TestContext = ctx, path = '/socket.io') {
  const socket = io(url(c), { path, transports: ['websocket'], forceNew: true, reconnection: false, ...(token ? { auth: { token } } : {}) });
  const got: Message[] = [];
  socket.on('dataChanged', (body) => got.push({ kind: 'dataChanged', body }));
  socket.on('event', (body) => got.push({ kind: 'event', body }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, got, close: () => socket.disconnect() };
}

async function until<T>(what: string, check: () => T | undefined | false, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const events = (got: Message[], type?: string) => got.filter((m) => m.kind === 'event' && (!type || m.body.type === type)).map((m) => m.body);
const changes = (got: Message[]) => got.filter((m) => m.kind === 'dataChanged').map((m) => `${m.body.entity}:${m.body.action}`);
const outboxCount = async () => Number((await sql<{ n: string }>`select count(*)::text as n from outbox_events`.execute(ctx.database.db)).rows[0]!.n);
const quiet = (ms = 300) => new Promise((r) => setTimeout(r, ms));

test('every action is told after its answer: dataChanged and the event with its data as the REST route returns it', async () => {
  const s = await connect(ctx.adminToken);
  try {
    const caja = await ctx.ok('POST', '/cajas', admin, { nombre: 'Caja viva', saldo: 500 });
    await ctx.ok('PATCH', `/cajas/${caja.id}`, admin, { nombre: 'Caja viva 2' });
    const session = await ctx.ok('POST', '/cajas/abrir', admin, { id_caja: caja.id });
    await ctx.ok('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Entel', monto: 100, id_caja_sesion: session.id });
    const sale = await ctx.ok('POST', '/recargas/cliente', admin, { operadora: 'Entel', numero_cliente: '71234567', monto: 10.5, id_caja_sesion: session.id });
    await ctx.ok('POST', '/cajas/movimiento', admin, { tipo: 'EGRESO', monto: 5, motivo: 'Bolsas', id_sesion_caja: session.id });
    await ctx.ok('POST', `/recargas/cliente/${sale.id}/anular`, admin, { motivo: 'Número equivocado' });
    await ctx.ok('PATCH', `/cajas/sesion/${session.id}/cerrar`, admin, { monto_final_real: 584.5 });
    await ctx.ok('DELETE', `/cajas/${caja.id}`, admin);

    const driver = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Conductor Vivo' })).data;
    const point = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Punto vivo' })).data;
    const me = await ctx.ok('GET', '/auth/me', admin);
    const t1 = (await ctx.ok('POST', `/drivers-balance/${driver.id}/topups`, admin, { collectionPointId: point.id, collectedByUserId: me.id, amount: '30.00' })).data;
    const confirmed = (await ctx.ok('POST', `/drivers-balance/topups/${t1.cashCollectionRecordId}/confirm`, admin, { comment: 'ok' })).data;
    const t2 = (await ctx.ok('POST', `/drivers-balance/${driver.id}/topups`, admin, { collectionPointId: point.id, collectedByUserId: me.id, amount: '1.00' })).data;
    await ctx.ok('POST', `/drivers-balance/topups/${t2.cashCollectionRecordId}/cancel`, admin, { reason: 'error' });
    const debit = (await ctx.ok('POST', `/drivers-balance/${driver.id}/debits`, admin, { amount: '2.50', type: 'commission' })).data;
    await ctx.ok('POST', `/wallets-status/${driver.id}/block`, admin, { reason: 'x' });
    await ctx.ok('POST', `/wallets-status/${driver.id}/unblock`, admin, {});

    const expected = [
      'caja.created', 'caja.updated', 'session.opened', 'injection.completed', 'recarga.completed', 'cash.movement', 'recarga.annulled',
      'session.closed', 'caja.deleted', 'wallet.topup.pending', 'wallet.topup.confirmed', 'wallet.topup.pending', 'wallet.topup.cancelled',
      'wallet.debited', 'wallet.blocked', 'wallet.unblocked',
    ];
    await until('all events', () => events(s.got).length >= expected.length);
    const got = events(s.got);
    assert.deepEqual(got.map((e) => e.type), expected);
    const ids = got.map((e) => BigInt(e.id as string));
    assert.deepEqual(ids, [...ids].sort((a, b) => (a < b ? -1 : 1)), 'in outbox order');
    for (const e of got) assert.match(e.occurredAt as string, /^\d{4}-\d\d-\d\dT.*Z$/);

    // The data is what the REST routes answer (the sale as GET returns it before its void).
    const saleEvent = got.find((e) => e.type === 'recarga.completed')!;
    assert.deepEqual(saleEvent.data, sale);
    assert.deepEqual(got.find((e) => e.type === 'wallet.topup.confirmed')!.data, confirmed);
    assert.deepEqual(got.find((e) => e.type === 'wallet.debited')!.data, debit);
    assert.deepEqual((got.find((e) => e.type === 'recarga.annulled')!.data as { estado: string }).estado, 'ANULADA');

    assert.deepEqual(
      [...new Set(changes(s.got))].sort(),
      [
        'caja:CAJA_ABIERTA', 'caja:CAJA_CERRADA', 'caja:actualizada', 'caja:creada', 'caja:eliminada', 'caja:saldo_actualizado',
        'recargas:saldo_actualizado', 'wallet:blocked', 'wallet:debit', 'wallet:topup_cancelled', 'wallet:topup_confirmed',
        'wallet:topup_pending', 'wallet:unblocked',
      ],
    );
  } finally {
    s.close();
  }
});

test('an anonymous socket gets only caja and recargas changes: no amounts, no people, at most one per second each', async () => {
  const anon = await connect();
  const full = await connect(ctx.adminToken);
  try {
    const caja = await ctx.ok('POST', '/cajas', admin, { nombre: 'Caja anónima', saldo: 100 });
    const session = await ctx.ok('POST', '/cajas/abrir', admin, { id_caja: caja.id });
    await ctx.ok('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Viva', monto: 50, id_caja_sesion: session.id });
    for (let i = 0; i < 5; i++) await ctx.ok('POST', '/recargas/cliente', admin, { operadora: 'Viva', numero_cliente: '61234567', monto: 1, id_caja_sesion: session.id });
    const driver = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Anónimo' })).data;
    await ctx.ok('POST', `/wallets-status/${driver.id}/block`, admin, {});
    await until('the authenticated socket saw everything', () => events(full.got, 'wallet.blocked').length === 1);
    await quiet(1200);
    assert.equal(anon.got.filter((m) => m.kind === 'event').length, 0, 'no event messages');
    for (const m of anon.got) assert.deepEqual(Object.keys(m.body).sort(), ['action', 'entity']);
    assert.ok(anon.got.every((m) => m.body.entity === 'caja' || m.body.entity === 'recargas'));
    const counts = changes(anon.got).reduce<Record<string, number>>((c, k) => ({ ...c, [k]: (c[k] ?? 0) + 1 }), {});
    assert.ok(counts['caja:creada'] === 1 && counts['caja:CAJA_ABIERTA'] === 1, JSON.stringify(counts));
    // Six changes of the cash within a second or so: coalesced.
    assert.ok((counts['caja:saldo_actualizado'] ?? 0) >= 1 && counts['caja:saldo_actualizado']! <= 3, JSON.stringify(counts));
  } finally {
    anon.close();
    full.close();
  }
});

test('sockets see what their role may see: an Operador their own sessions and the floats, a Conductor their own wallet', async () => {
  const ana = await ctx.user('Operador');
  const beto = await ctx.user('Operador');
  const reader = await ctx.user('Usuario');
  const driverA = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Conductor A', email: 'ca@live.test', password: 'conductor-a-1' })).data;
  const driverB = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Conductor B' })).data;
  const driverToken = (await ctx.ok('POST', '/auth/login', {}, { email: 'ca@live.test', password: 'conductor-a-1' })).access_token;
  const sa = await connect(ana.token);
  const sb = await connect(beto.token);
  const su = await connect(reader.token);
  const sd = await connect(driverToken);
  try {
    const open = async (who: { token: string }, nombre: string) => {
      const caja = await ctx.ok('POST', '/cajas', admin, { nombre, saldo: 200 });
      return ctx.ok('POST', '/cajas/abrir', bearer(who.token), { id_caja: caja.id });
    };
    const sessionA = await open(ana, 'Caja Ana');
    const sessionB = await open(beto, 'Caja Beto');
    await ctx.ok('PATCH', '/recargas/operadoras/1', admin, { saldo_minimo: 0 });
    const saldos = await ctx.ok('GET', '/recargas/operadoras/saldos', admin);
    const tigo = saldos.find((o: { nombre_operadora: string }) => o.nombre_operadora === 'Tigo');
    await ctx.ok('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Tigo', monto: 20, id_caja_sesion: sessionA.id });
    // A minimum just under the float: Beto's sale takes it below.
    await ctx.ok('PATCH', `/recargas/operadoras/${tigo.id}`, admin, { saldo_minimo: tigo.saldo_actual + 15 });
    await ctx.ok('POST', '/recargas/cliente', bearer(ana.token), { operadora: 'Tigo', numero_cliente: '71111111', monto: 2, id_caja_sesion: sessionA.id });
    await ctx.ok('POST', '/recargas/cliente', bearer(beto.token), { operadora: 'Tigo', numero_cliente: '72222222', monto: 4, id_caja_sesion: sessionB.id });
    const me = await ctx.ok('GET', '/auth/me', admin);
    const point = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Punto A' })).data;
    for (const d of [driverA, driverB]) {
      await ctx.ok('POST', `/drivers-balance/${d.id}/topups`, admin, { collectionPointId: point.id, collectedByUserId: me.id, amount: '3.00' });
      await ctx.ok('POST', `/wallets-status/${d.id}/block`, admin, {});
    }
    await until('the Usuario saw it all', () => events(su.got, 'wallet.blocked').length === 2);
    await quiet();

    const sessionOf = (e: Record<string, unknown>) => (e.data as { id_caja_sesion?: number; id?: number; id_caja_origen?: number });
    const anaSales = events(sa.got, 'recarga.completed').map((e) => sessionOf(e).id_caja_sesion);
    assert.deepEqual(anaSales, [sessionA.id], 'Ana sees her sale, not Beto\'s');
    assert.deepEqual(events(sb.got, 'recarga.completed').map((e) => sessionOf(e).id_caja_sesion), [sessionB.id]);
    assert.deepEqual(events(sb.got, 'session.opened').map((e) => sessionOf(e).id), [sessionB.id]);
    assert.equal(events(sb.got, 'injection.completed').length, 0, "Ana's session's injection");
    for (const s of [sa, sb, su]) assert.equal(events(s.got, 'float.low').length, 1, 'every Operador sees the floats');
    assert.equal(events(sa.got, 'wallet.topup.pending').length, 0, 'not her point nor her collection');
    assert.equal(events(su.got, 'recarga.completed').length, 2);
    assert.ok(changes(sa.got).includes('caja:saldo_actualizado'), 'dataChanged for every caja change');
    // The Conductor: their own wallet only, and no POS events.
    const mine = events(sd.got);
    assert.deepEqual(mine.map((e) => [e.type, (e.data as { driverId: string }).driverId]), [
      ['wallet.topup.pending', driverA.id],
      ['wallet.blocked', driverA.id],
    ]);
    assert.ok(changes(sd.got).every((c) => c.startsWith('wallet:')), changes(sd.got).join());
  } finally {
    for (const s of [sa, sb, su, sd]) s.close();
  }
});

test('float.low fires when a float crosses below its minimum, once, and again only after it was back above', async () => {
  // An administrator of its own: each test's sessions are apart.
  const boss = bearer((await ctx.user('Administrador')).token);
  const s = await connect(ctx.adminToken);
  try {
    const caja = await ctx.ok('POST', '/cajas', admin, { nombre: 'Caja mínimos', saldo: 1000 });
    const session = await ctx.ok('POST', '/cajas/abrir', boss, { id_caja: caja.id });
    const viva = (await ctx.ok('GET', '/recargas/operadoras/saldos', admin)).find((o: { nombre_operadora: string }) => o.nombre_operadora === 'Viva');
    const sell = (monto: number) => ctx.ok('POST', '/recargas/cliente', boss, { operadora: 'Viva', numero_cliente: '63333333', monto, id_caja_sesion: session.id });
    await ctx.ok('POST', '/recargas/inyeccion', boss, { operadora_destino: 'Viva', monto: 100, id_caja_sesion: session.id });
    const start = viva.saldo_actual + 100;
    await ctx.ok('PATCH', `/recargas/operadoras/${viva.id}`, admin, { saldo_minimo: start - 10 });
    await sell(5); // still at or above
    await sell(6); // crosses: fires
    await sell(1); // already below: nothing
    await ctx.ok('POST', '/recargas/inyeccion', boss, { operadora_destino: 'Viva', monto: 50, id_caja_sesion: session.id }); // back above
    await sell(49); // 138 → 89 (start − 11): crosses again
    await until(`two float.low in ${JSON.stringify(events(s.got).map((e) => [e.type, e.data]))}`, () => events(s.got, 'float.low').length >= 2);
    await quiet();
    const lows = events(s.got, 'float.low').map((e) => e.data as { nombre_operadora: string; saldo_actual: number; saldo_minimo: number; bajo_minimo: boolean });
    assert.deepEqual(lows, [
      { id: viva.id, nombre_operadora: 'Viva', saldo_actual: start - 11, saldo_minimo: start - 10, bajo_minimo: true },
      { id: viva.id, nombre_operadora: 'Viva', saldo_actual: start - 11, saldo_minimo: start - 10, bajo_minimo: true },
    ]);
    assert.equal(changes(s.got).filter((c) => c === 'recargas:saldo_bajo').length, 2);
  } finally {
    s.close();
  }
});

test('work that did not commit is told nothing: refused sales, refused top-ups, replays', async () => {
  const boss = bearer((await ctx.user('Administrador')).token);
  const s = await connect(ctx.adminToken);
  try {
    const caja = await ctx.ok('POST', '/cajas', admin, { nombre: 'Caja rechazos', saldo: 10 });
    const session = await ctx.ok('POST', '/cajas/abrir', boss, { id_caja: caja.id });
    await quiet();
    const before = await outboxCount();
    s.got.length = 0;
    // The float cannot pay it (a whole batch of such sales, at once).
    const refused = await Promise.all(
      Array.from({ length: 5 }, () => ctx.call('POST', '/recargas/cliente', boss, { operadora: 'Tigo', numero_cliente: '74444444', monto: 9999999, id_caja_sesion: session.id })),
    );
    assert.deepEqual(refused.map((r) => r.statusCode), [409, 409, 409, 409, 409]);
    const other = await ctx.user('Operador');
    const point = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Punto ajeno', staffUserIds: [(await ctx.user('Operador')).id] })).data;
    const driver = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Sin eventos' })).data;
    const afterSetup = await outboxCount();
    const r = await ctx.call('POST', `/drivers-balance/${driver.id}/topups`, bearer(other.token), { collectionPointId: point.id, collectedByUserId: other.id, amount: '1.00' });
    assert.equal(r.statusCode, 403);
    assert.equal((await ctx.call('POST', `/drivers-balance/${driver.id}/debits`, admin, { amount: '1.00', type: 'penalty' })).statusCode, 409);
    // A replayed request: the first answer again, no second event.
    const key = { ...boss, 'idempotency-key': 'live-replay-1' };
    await ctx.ok('POST', '/cajas/movimiento', key, { tipo: 'INGRESO', monto: 1, motivo: 'x', id_sesion_caja: session.id });
    const replay = await ctx.call('POST', '/cajas/movimiento', key, { tipo: 'INGRESO', monto: 1, motivo: 'x', id_sesion_caja: session.id });
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    await quiet(500);
    assert.equal(afterSetup, before, 'the refused sales wrote no event (creating a point, a driver, users writes none)');
    assert.equal(await outboxCount(), afterSetup + 1, 'only the one movement wrote an event');
    assert.deepEqual(events(s.got).map((e) => String(e.type)).filter((t) => !t.startsWith('caja.')), ['cash.movement']);
  } finally {
    s.close();
  }
});

test('a socket gets what happens after it connects, not what happened while nobody listened', async () => {
  const boss = await ctx.user('Administrador');
  const caja = await ctx.ok('POST', '/cajas', admin, { nombre: 'Caja de a ratos', saldo: 10 });
  const first = await connect(ctx.adminToken);
  first.close();
  await quiet();
  const session = await ctx.ok('POST', '/cajas/abrir', bearer(boss.token), { id_caja: caja.id });
  await ctx.ok('POST', '/cajas/movimiento', bearer(boss.token), { tipo: 'INGRESO', monto: 1, motivo: 'nadie mira', id_sesion_caja: session.id });
  await quiet(1200); // past a poll of the reader
  const s = await connect(ctx.adminToken);
  try {
    const movement = await ctx.ok('POST', '/cajas/movimiento', bearer(boss.token), { tipo: 'INGRESO', monto: 2, motivo: 'alguien mira', id_sesion_caja: session.id });
    await until('the movement', () => events(s.got, 'cash.movement').length > 0);
    await quiet();
    assert.deepEqual(events(s.got).map((e) => e.type), ['cash.movement']);
    assert.equal((events(s.got)[0]!.data as { id: number }).id, movement.id);
  } finally {
    s.close();
  }
});

test('a bad token is refused; a missing one too when anonymous sockets are off; logout, deactivation and a role change disconnect within 2 s; so does the token\'s expiry', async () => {
  await assert.rejects(connect('not-a-token'), /unauthorized/);
  const off = await buildTestApp();
  await off.app.listen({ port: 0, host: '127.0.0.1' });
  await assert.rejects(connect(undefined, off), /unauthorized/);
  const ok = await connect(off.adminToken, off);
  ok.close();

  const u = await ctx.user('Usuario');
  const s = await connect(u.token);
  const gone = new Promise<number>((resolve) => s.socket.once('disconnect', () => resolve(Date.now())));
  const t0 = Date.now();
  await ctx.ok('POST', '/auth/logout', bearer(u.token));
  assert.ok((await gone) - t0 <= 2000);

  // So do a deactivation and a role change, made by an administrator.
  for (const change of [{ activo: false }, { role: 'Operador' }]) {
    const w = await ctx.user('Usuario');
    const ws = await connect(w.token);
    const ended = new Promise<number>((resolve) => {
      ws.socket.once('disconnect', () => resolve(Date.now()));
      setTimeout(() => resolve(Infinity), 3000).unref();
    });
    const t1 = Date.now();
    await ctx.ok('PATCH', `/usuario/${w.id}`, admin, change);
    assert.ok((await ended) - t1 <= 2000, `disconnected within 2 s of ${JSON.stringify(change)}`);
  }

  // A token that expires in 2 s (same login session, same secret).
  const v = await ctx.user('Usuario');
  const claims = decodeJwt(v.token);
  const short = await new SignJWT({ sid: claims.sid, role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub!)
    .setIssuedAt()
    .setExpirationTime('2s')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  const e = await connect(short);
  const expired = await new Promise<number>((resolve) => e.socket.once('disconnect', () => resolve(Date.now())));
  assert.ok(expired - Number(claims.iat) * 1000 > 1000);

  // The prefix path serves too.
  const p = await buildTestApp({ API_PREFIX: '/api', SOCKET_ANONYMOUS: 'true' });
  await p.app.listen({ port: 0, host: '127.0.0.1' });
  for (const path of ['/socket.io', '/api/socket.io']) (await connect(p.adminToken, p, path)).close();
});

test('two processes on one PostgreSQL: an event caused through one reaches a socket on the other', { skip: !onPostgres && 'needs PostgreSQL' }, async () => {
  const second = await openDatabase({ url: ctx.database.url!, poolSize: 5 });
  const other = await buildTestApp({}, { database: { ...second, url: ctx.database.url! } });
  try {
    await other.app.listen({ port: 0, host: '127.0.0.1' });
    const s = await connect(other.adminToken, other);
    const driver = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Otro proceso' })).data;
    await ctx.ok('POST', `/wallets-status/${driver.id}/block`, admin, {});
    const e = await until('the other process told its socket', () => events(s.got, 'wallet.blocked')[0], 3000);
    assert.equal((e.data as { driverId: string }).driverId, driver.id);
    s.close();
  } finally {
    await other.app.close();
    await second.close();
  }
});

test('the outbox reader never passes an id that may still commit', { skip: !onPostgres && 'needs two connections (PostgreSQL)' }, async () => {
  const { outboxReader, latestEventId } = await import('../src/core/outbox-reader.js');
  const { recordEvents } = await import('../src/core/events.js');
  const db = ctx.database.db;
  const reader = outboxReader(db);
  const start = await latestEventId(db);
  let releaseA!: () => void;
  const holdA = new Promise<void>((r) => (releaseA = r));
  let written!: () => void;
  const aWrote = new Promise<void>((r) => (written = r));
  const a = db.transaction().execute(async (trx) => {
    await recordEvents(trx, [{ type: 'caja.updated', data: { n: 'A' } }]);
    written();
    await holdA;
  });
  await aWrote;
  await db.transaction().execute((trx) => recordEvents(trx, [{ type: 'caja.updated', data: { n: 'B' } }]));
  assert.deepEqual(await reader.next(start), [], 'B is visible, but A (a lower id) is still in flight');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await reader.next(start), []);
  releaseA();
  await a;
  assert.deepEqual((await reader.next(start)).map((e) => (e.data as { n: string }).n), ['A', 'B']);

  // A rolled-back id leaves a gap that is passed once nothing can fill it.
  const from = await latestEventId(db);
  await db
    .transaction()
    .execute(async (trx) => {
      await recordEvents(trx, [{ type: 'caja.updated', data: { n: 'C' } }]);
      throw new Error('rollback');
    })
    .catch(() => {});
  await db.transaction().execute((trx) => recordEvents(trx, [{ type: 'caja.updated', data: { n: 'D' } }]));
  // Once every transaction running when the gap was seen has ended (any in
  // the cluster: other suites' too), the reader moves past it.
  let got: Awaited<ReturnType<typeof reader.next>> = [];
  for (const deadline = Date.now() + 5000; got.length === 0 && Date.now() < deadline; ) {
    got = await reader.next(from);
    if (got.length === 0) await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(got.map((e) => (e.data as { n: string }).n), ['D']);
});
