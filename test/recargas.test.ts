import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

// Recargas (API.md §3, seed 000), through the real HTTP layer.

const ctx = await buildTestApp();
const admin = bearer(ctx.adminToken);

type Headers = Record<string, string>;
const { call } = ctx;

const saldos = async () =>
  Object.fromEntries(
    ((await call('GET', '/recargas/operadoras/saldos', admin)).json() as { nombre_operadora: string; saldo_actual: number }[]).map(
      (o) => [o.nombre_operadora, o.saldo_actual],
    ),
  );

async function openShift(headers: Headers, saldo: number, nombre: string) {
  const caja = await call('POST', '/cajas', admin, { nombre, saldo });
  assert.equal(caja.statusCode, 201, caja.body);
  const s = await call('POST', '/cajas/abrir', headers, { id_caja: caja.json().id });
  assert.equal(s.statusCode, 201, s.body);
  return { cajaId: caja.json().id as number, sessionId: s.json().id as number };
}

const cajaSaldo = async (id: number) => (await call('GET', `/cajas/${id}`, admin)).json().saldo as number;
const session = async (id: number) => (await call('GET', `/cajas/sesion/${id}`, admin)).json();

const sell = (headers: Headers, body: Record<string, unknown>) => call('POST', '/recargas/cliente', headers, body);

test('operators exist from the first start with saldo 0', async () => {
  const res = await call('GET', '/recargas/operadoras/saldos', bearer(await ctx.tokenFor('Usuario')));
  assert.equal(res.statusCode, 200);
  assert.deepEqual(
    res.json().map((o: { nombre_operadora: string; saldo_actual: number; id: number }) => [typeof o.id, o.nombre_operadora, o.saldo_actual]),
    [
      ['number', 'Tigo', 0],
      ['number', 'Entel', 0],
      ['number', 'Viva', 0],
    ],
  );
  assert.equal((await call('GET', '/recargas/operadoras/saldos', bearer(await ctx.tokenFor('Conductor')))).statusCode, 403);
  assert.equal((await call('GET', '/recargas/operadoras/saldos', {})).statusCode, 401);
});

test('injection and top-up: the full loop, statuses and errors', async () => {
  const op = await ctx.user('Operador');
  const op2 = await ctx.user('Operador');
  const h = bearer(op.token);
  const { cajaId, sessionId } = await openShift(h, 300, 'Caja Recargas');

  // No float yet: the top-up is refused and nothing changes.
  const none = await sell(h, { operadora: 'Tigo', numero_cliente: '78945612', monto: 10.5, id_caja_sesion: sessionId });
  assert.equal(none.statusCode, 409, none.body);
  assert.deepEqual(Object.keys(none.json()).sort(), ['code', 'error', 'message', 'statusCode']);
  assert.equal(await cajaSaldo(cajaId), 300);
  assert.equal((await session(sessionId)).total_ingresos, 0);

  // Injection: Administrador only; the operator's own session is fine for an admin.
  assert.equal((await call('POST', '/recargas/inyeccion', h, { operadora_destino: 'Tigo', monto: 100, id_caja_sesion: sessionId })).statusCode, 403);
  const inj = await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Tigo', monto: 100, id_caja_sesion: sessionId });
  assert.equal(inj.statusCode, 201, inj.body);
  const ij = inj.json();
  assert.deepEqual(ij, { id: ij.id, operadora_destino: 'Tigo', monto: 100, fecha_hora: ij.fecha_hora, id_caja_origen: sessionId });
  assert.ok(!Number.isNaN(Date.parse(ij.fecha_hora)));
  assert.equal((await saldos()).Tigo, 100);
  assert.equal(await cajaSaldo(cajaId), 200);

  // Not enough cash in the register for an injection.
  const broke = await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Entel', monto: 200.01, id_caja_sesion: sessionId });
  assert.equal(broke.statusCode, 409, broke.body);
  assert.equal((await saldos()).Entel, 0);
  for (const bad of [
    { operadora_destino: 'Entel', monto: 0.99, id_caja_sesion: sessionId },
    { operadora_destino: 'Claro', monto: 10, id_caja_sesion: sessionId },
    { operadora_destino: 'Entel', monto: '10', id_caja_sesion: sessionId },
    { operadora_destino: 'Entel', monto: 10, id_caja_sesion: '1' },
    { monto: 10, id_caja_sesion: sessionId },
  ]) {
    assert.equal((await call('POST', '/recargas/inyeccion', admin, bad)).statusCode, 400, JSON.stringify(bad));
  }
  assert.equal((await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Entel', monto: 10, id_caja_sesion: 999999 })).statusCode, 404);

  // The sale, as in the seed.
  const sale = await sell(h, { operadora: 'Tigo', numero_cliente: '78945612', monto: 10.5, id_caja_sesion: sessionId, extra: 1 });
  assert.equal(sale.statusCode, 201, sale.body);
  const sj = sale.json();
  assert.deepEqual(sj, {
    id: sj.id,
    operadora: 'Tigo',
    numero_cliente: '78945612',
    monto: 10.5,
    fecha_hora: sj.fecha_hora,
    id_caja_sesion: sessionId,
    estado: 'COMPLETADA',
    anulada_en: null,
    anulada_por: null,
    motivo_anulacion: null,
  });
  assert.equal((await saldos()).Tigo, 89.5);
  assert.equal(await cajaSaldo(cajaId), 210.5);
  const plus = await sell(h, { operadora: 'Tigo', numero_cliente: '+59178945612', monto: 0.1, id_caja_sesion: sessionId });
  assert.equal(plus.statusCode, 201, plus.body);
  assert.equal(plus.json().numero_cliente, '+59178945612');

  const st = await session(sessionId);
  assert.equal(st.total_ingresos, 10.6);
  assert.equal(st.total_egresos, 100);
  assert.equal(st.monto_final_teorico, 210.6);
  const moves = (await call('GET', `/cajas/sesion/${sessionId}/movimientos`, admin)).json();
  assert.deepEqual(
    moves.map((m: { origen: string; tipo: string; monto: number; id_origen: number | null }) => [m.origen, m.tipo, m.monto, m.id_origen]),
    [
      ['APERTURA', 'INGRESO', 300, sessionId],
      ['INYECCION', 'EGRESO', 100, ij.id],
      ['RECARGA', 'INGRESO', 10.5, sj.id],
      ['RECARGA', 'INGRESO', 0.1, plus.json().id],
    ],
  );

  // 400s: validation comes before existence and ownership.
  for (const bad of [
    { operadora: 'Claro', numero_cliente: '78945612', monto: 10, id_caja_sesion: sessionId },
    { operadora: 'tigo', numero_cliente: '78945612', monto: 10, id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: '78945612', monto: 0.09, id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: '78945612', monto: 0, id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: '78945612', monto: 1.001, id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: '78945612', monto: '10', id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: '78945612', monto: true, id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: 78945612, monto: 10, id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: '7894a612', monto: 10, id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: '12345', monto: 10, id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: '1234567890123456', monto: 10, id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: '++78945612', monto: 10, id_caja_sesion: sessionId },
    { operadora: 'Tigo', numero_cliente: '78945612', monto: 10, id_caja_sesion: 2147483648 },
    { operadora: 'Tigo', numero_cliente: '78945612', monto: 10 },
  ]) {
    const res = await sell(bearer(op2.token), { ...bad });
    assert.equal(res.statusCode, 400, `${JSON.stringify(bad)} → ${res.body}`);
  }
  assert.equal((await sell(h, { operadora: 'Tigo', numero_cliente: '78945612', monto: 1, id_caja_sesion: 999999 })).statusCode, 404);
  const foreign = await sell(bearer(op2.token), { operadora: 'Tigo', numero_cliente: '78945612', monto: 1, id_caja_sesion: sessionId });
  assert.equal(foreign.statusCode, 403, foreign.body);
  assert.equal((await sell(bearer(await ctx.tokenFor('Usuario')), { operadora: 'Tigo', numero_cliente: '78945612', monto: 1, id_caja_sesion: sessionId })).statusCode, 403);
  assert.equal((await sell(admin, { operadora: 'Tigo', numero_cliente: '78945612', monto: 1, id_caja_sesion: sessionId })).statusCode, 201);
  // Insufficient saldo on another operator.
  assert.equal((await sell(h, { operadora: 'Viva', numero_cliente: '78945612', monto: 1, id_caja_sesion: sessionId })).statusCode, 409);
  assert.equal((await saldos()).Tigo, 88.4);

  // Closed session: 409 for both operations, nothing moves.
  const closed = await call('PATCH', `/cajas/sesion/${sessionId}/cerrar`, h, { monto_final_real: 211.6 });
  assert.equal(closed.statusCode, 200, closed.body);
  assert.equal(closed.json().monto_final_teorico, 211.6);
  assert.equal(closed.json().diferencia, 0);
  assert.equal((await sell(h, { operadora: 'Tigo', numero_cliente: '78945612', monto: 1, id_caja_sesion: sessionId })).statusCode, 409);
  assert.equal((await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Tigo', monto: 1, id_caja_sesion: sessionId })).statusCode, 409);
  assert.equal((await saldos()).Tigo, 88.4);
  assert.equal(await cajaSaldo(cajaId), 211.6);
});

test('exactness: ten top-ups of 0.10 and three of 0.20', async () => {
  const op = await ctx.user('Operador');
  const h = bearer(op.token);
  const { cajaId, sessionId } = await openShift(h, 1.1, 'Caja Centavos');
  assert.equal((await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Viva', monto: 1.1, id_caja_sesion: sessionId })).statusCode, 201);
  for (let i = 0; i < 10; i++) {
    assert.equal((await sell(h, { operadora: 'Viva', numero_cliente: '70000001', monto: 0.1, id_caja_sesion: sessionId })).statusCode, 201);
  }
  for (let i = 0; i < 3; i++) {
    const r = await sell(h, { operadora: 'Viva', numero_cliente: '70000002', monto: 0.2, id_caja_sesion: sessionId });
    // 1.10 − 1.00 = 0.10 left after the ten: only the first 0.20 would overdraw.
    assert.equal(r.statusCode, 409, r.body);
  }
  assert.equal((await saldos()).Viva, 0.1);
  assert.equal((await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Viva', monto: 1, id_caja_sesion: sessionId })).statusCode, 201);
  for (let i = 0; i < 3; i++) {
    assert.equal((await sell(h, { operadora: 'Viva', numero_cliente: '70000002', monto: 0.2, id_caja_sesion: sessionId })).statusCode, 201);
  }
  // 1.10 + 1.00 − 1.00 − 0.60 = 0.50 exactly.
  assert.equal((await saldos()).Viva, 0.5);
  const st = await session(sessionId);
  assert.equal(st.total_ingresos, 1.6);
  assert.equal(st.total_egresos, 2.1);
  assert.equal(st.monto_final_teorico, 0.6);
  assert.equal((await call('GET', `/cajas/sesion/${sessionId}/balance`, admin)).body, '0.6');
  assert.equal(await cajaSaldo(cajaId), 0.6);
  const hist = (await call('GET', `/recargas/historial/clientes?id_caja_sesion=${sessionId}`, admin)).json();
  assert.equal(hist.length, 13);
  assert.equal(hist.reduce((n: number, r: { monto: number }) => n + Math.round(r.monto * 100), 0), 160);
  const closed = (await call('PATCH', `/cajas/sesion/${sessionId}/cerrar`, h, { monto_final_real: 0.6 })).json();
  assert.equal(closed.diferencia, 0);
});

test('histories: newest first, full by default, optional filters', async () => {
  const op = await ctx.user('Operador');
  const h = bearer(op.token);
  const { sessionId } = await openShift(h, 100, 'Caja Historial');
  assert.equal((await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Entel', monto: 50, id_caja_sesion: sessionId })).statusCode, 201);
  assert.equal((await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Viva', monto: 5, id_caja_sesion: sessionId })).statusCode, 201);
  const ids: number[] = [];
  for (const [operadora, numero] of [
    ['Entel', '71111111'],
    ['Entel', '72222222'],
    ['Viva', '71111111'],
  ]) {
    const r = await sell(h, { operadora, numero_cliente: numero, monto: 1, id_caja_sesion: sessionId });
    assert.equal(r.statusCode, 201, r.body);
    ids.push(r.json().id);
  }
  const reader = bearer(await ctx.tokenFor('Usuario'));
  const all = await call('GET', '/recargas/historial/clientes', reader);
  assert.equal(all.statusCode, 200);
  const list = all.json() as { id: number; fecha_hora: string }[];
  assert.deepEqual(list.slice(0, 3).map((r) => r.id), [...ids].reverse());
  for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]!.fecha_hora >= list[i]!.fecha_hora);

  const q = async (query: string) => (await call('GET', `/recargas/historial/clientes?${query}`, reader)).json() as { id: number }[];
  assert.deepEqual((await q(`id_caja_sesion=${sessionId}&operadora=Entel`)).map((r) => r.id), [ids[1], ids[0]]);
  assert.deepEqual((await q(`id_caja_sesion=${sessionId}&numero_cliente=71111111`)).map((r) => r.id), [ids[2], ids[0]]);
  assert.deepEqual((await q(`id_caja_sesion=${sessionId}&limit=1&page=2`)).map((r) => r.id), [ids[1]]);
  assert.equal((await q(`id_caja_sesion=${sessionId}&from=2000-01-01T00:00:00Z&to=2999-01-01`)).length, 3);
  assert.equal((await q(`id_caja_sesion=${sessionId}&from=2999-01-01`)).length, 0);
  for (const bad of ['operadora=Claro', 'page=0', 'limit=abc', 'limit=1001', 'from=yesterday', 'id_caja_sesion=-1', 'numero_cliente=abc']) {
    assert.equal((await call('GET', `/recargas/historial/clientes?${bad}`, reader)).statusCode, 400, bad);
  }

  const inj = await call('GET', `/recargas/historial/inyecciones?id_caja_sesion=${sessionId}`, reader);
  assert.equal(inj.statusCode, 200);
  assert.deepEqual(
    inj.json().map((i: { operadora_destino: string; monto: number; id_caja_origen: number }) => [i.operadora_destino, i.monto, i.id_caja_origen]),
    [
      ['Viva', 5, sessionId],
      ['Entel', 50, sessionId],
    ],
  );
  assert.equal((await call('GET', '/recargas/historial/inyecciones?operadora=Viva', reader)).json().every((i: { operadora_destino: string }) => i.operadora_destino === 'Viva'), true);
  assert.ok((await call('GET', '/recargas/historial/inyecciones', reader)).json().length >= 2);
  // No injection has a client number: the filter matches none rather than being ignored.
  assert.deepEqual((await call('GET', '/recargas/historial/inyecciones?numero_cliente=78945612', reader)).json(), []);
  assert.equal((await call('GET', '/recargas/historial/clientes', bearer(await ctx.tokenFor('Conductor')))).statusCode, 403);
  assert.equal((await call('GET', '/recargas/historial/inyecciones', bearer(await ctx.tokenFor('Conductor')))).statusCode, 403);
  assert.equal((await call('PATCH', `/cajas/sesion/${sessionId}/cerrar`, h, { monto_final_real: 48 })).statusCode, 200);
});

test('Idempotency-Key: a replayed top-up sells once; another body → 422', async () => {
  const op = await ctx.user('Operador');
  const { cajaId, sessionId } = await openShift(bearer(op.token), 20, 'Caja Idempotente');
  assert.equal((await call('POST', '/recargas/inyeccion', { ...admin, 'idempotency-key': 'inj-1' }, { operadora_destino: 'Tigo', monto: 10, id_caja_sesion: sessionId })).statusCode, 201);
  const replayInj = await call('POST', '/recargas/inyeccion', { ...admin, 'idempotency-key': 'inj-1' }, { operadora_destino: 'Tigo', monto: 10, id_caja_sesion: sessionId });
  assert.equal(replayInj.statusCode, 201);
  assert.equal(replayInj.headers['idempotent-replayed'], 'true');
  assert.equal(await cajaSaldo(cajaId), 10);

  const cents = (n: number) => Math.round(n * 100);
  const before = cents((await saldos()).Tigo!);
  const h = { ...bearer(op.token), 'idempotency-key': 'sale-1' };
  const body = { operadora: 'Tigo', numero_cliente: '78945612', monto: 2.5, id_caja_sesion: sessionId };
  const first = await sell(h, body);
  assert.equal(first.statusCode, 201, first.body);
  const second = await sell(h, { id_caja_sesion: sessionId, monto: 2.5, numero_cliente: '78945612', operadora: 'Tigo' });
  assert.equal(second.statusCode, 201);
  assert.equal(second.body, first.body);
  assert.equal(second.headers['idempotent-replayed'], 'true');
  assert.equal(cents((await saldos()).Tigo!), before - 250);
  assert.equal(await cajaSaldo(cajaId), 12.5);
  const different = await sell(h, { ...body, monto: 3 });
  assert.equal(different.statusCode, 422, different.body);
  // Bodies compare as parsed JSON: an extra field, even one the route ignores, is another body.
  const extra = await sell(h, { ...body, nota: 'x' });
  assert.equal(extra.statusCode, 422, extra.body);
  assert.equal(cents((await saldos()).Tigo!), before - 250);
  const hist = (await call('GET', `/recargas/historial/clientes?id_caja_sesion=${sessionId}`, admin)).json();
  assert.equal(hist.length, 1);
  // The same key on another path is another scope.
  assert.equal((await call('POST', '/cajas/movimiento', h, { tipo: 'INGRESO', monto: 1, motivo: 'x', id_sesion_caja: sessionId })).statusCode, 201);
});

test('a top-up is its own RECARGA movement; one stored the old way (a movement row) still lists once; a doubled one fails verify', async () => {
  const db = ctx.database.db;
  const op = await ctx.user('Operador');
  const h = bearer(op.token);
  const { sessionId } = await openShift(h, 50, 'Caja Movimientos');
  assert.equal((await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Viva', monto: 20, id_caja_sesion: sessionId })).statusCode, 201);
  const manual = await call('POST', '/cajas/movimiento', h, { tipo: 'INGRESO', monto: 1, motivo: 'Cambio', id_sesion_caja: sessionId });
  const sale = (await sell(h, { operadora: 'Viva', numero_cliente: '70012345', monto: 2.5, id_caja_sesion: sessionId })).json();
  const stored = await db.selectFrom('caja_movimientos').select('id').where('id_sesion_caja', '=', sessionId).execute();
  assert.equal(stored.length, 3, 'the APERTURA, the injection and the manual movement: the sale writes no movement row');
  const listed = () => call('GET', `/cajas/sesion/${sessionId}/movimientos`, admin).then((r) => r.json());
  const moves = await listed();
  assert.deepEqual(
    moves.map((m: Record<string, unknown>) => [m.origen, m.tipo, m.monto, m.motivo, m.id_origen]),
    [
      ['APERTURA', 'INGRESO', 50, moves[0].motivo, sessionId],
      ['INYECCION', 'EGRESO', 20, moves[1].motivo, moves[1].id_origen],
      ['MANUAL', 'INGRESO', 1, 'Cambio', null],
      ['RECARGA', 'INGRESO', 2.5, 'Recarga Viva 70012345', sale.id],
    ],
  );
  assert.ok(moves[3].id > manual.json().id, 'ids keep the order of events');
  assert.equal(moves[3].fecha, sale.fecha_hora);

  // A top-up sold before migration 004: its movement is a stored row, and it has no movimiento_id.
  const recarga = await db.selectFrom('recargas_cliente').selectAll().where('id', '=', sale.id).executeTakeFirstOrThrow();
  const caja = await db.selectFrom('caja_sesiones').select('id_caja').where('id', '=', sessionId).executeTakeFirstOrThrow();
  await db.updateTable('recargas_cliente').set({ movimiento_id: null }).where('id', '=', sale.id).execute();
  await db
    .insertInto('caja_movimientos')
    .values({
      id: recarga.movimiento_id!,
      id_caja: caja.id_caja,
      id_sesion_caja: sessionId,
      tipo: 'INGRESO',
      monto: recarga.monto,
      motivo: 'Recarga Viva 70012345',
      origen: 'RECARGA',
      id_origen: sale.id,
      transfer_id: recarga.transfer_id,
      fecha: recarga.fecha_hora,
    })
    .execute();
  assert.deepEqual(await listed(), moves);
  const verify = async () => (await call('GET', '/ledger/verify', admin)).json() as { ok: boolean; checks: { name: string; ok: boolean }[] };
  assert.equal((await verify()).ok, true);

  // Both at once: the sale would count twice.
  await db.updateTable('recargas_cliente').set({ movimiento_id: recarga.movimiento_id }).where('id', '=', sale.id).execute();
  const report = await verify();
  assert.equal(report.ok, false);
  assert.ok(report.checks.some((c) => c.name === 'caja_movements_unique' && !c.ok), JSON.stringify(report.checks));
  await db.deleteFrom('caja_movimientos').where('id', '=', recarga.movimiento_id!).execute();
  assert.deepEqual(await listed(), moves);
  assert.equal((await verify()).ok, true);
});

test('ledger verify is clean', async () => {
  const res = await call('GET', '/ledger/verify', admin);
  assert.equal(res.statusCode, 200);
  const report = res.json();
  assert.equal(report.ok, true, JSON.stringify(report.checks.filter((c: { ok: boolean }) => !c.ok)));
  for (const name of ['recargas_match_transfers', 'operator_transfers_have_records']) {
    assert.ok(report.checks.some((c: { name: string }) => c.name === name), name);
  }
});

test('history filters: a bare-date `to` covers that whole day; large session ids are accepted', async () => {
  const { app, adminToken } = await buildTestApp();
  const auth = { authorization: `Bearer ${adminToken}` };
  const caja = (await app.inject({ method: 'POST', url: '/cajas', headers: auth, payload: { nombre: 'Caja fechas', saldo: 100 } })).json();
  const session = (await app.inject({ method: 'POST', url: '/cajas/abrir', headers: auth, payload: { id_caja: caja.id } })).json();
  await app.inject({ method: 'POST', url: '/recargas/inyeccion', headers: auth, payload: { operadora_destino: 'Entel', monto: 10, id_caja_sesion: session.id } });
  await app.inject({ method: 'POST', url: '/recargas/cliente', headers: auth, payload: { operadora: 'Entel', numero_cliente: '71234567', monto: 2, id_caja_sesion: session.id } });
  const today = new Date().toISOString().slice(0, 10);
  const sales = await app.inject({ url: `/recargas/historial/clientes?to=${today}&from=${today}`, headers: auth });
  assert.equal(sales.statusCode, 200);
  assert.equal(sales.json().length, 1);
  const injections = await app.inject({ url: `/recargas/historial/inyecciones?to=${today}`, headers: auth });
  assert.equal(injections.json().length, 1);
  const big = await app.inject({ url: '/recargas/historial/clientes?id_caja_sesion=2147483647', headers: auth });
  assert.equal(big.statusCode, 200);
  assert.deepEqual(big.json(), []);
  assert.equal((await app.inject({ url: '/recargas/historial/clientes?id_caja_sesion=2147483648', headers: auth })).statusCode, 400);
});
