import { sql } from 'kysely';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonArrayStream } from '../src/core/json-stream.js';
import { saleChunks } from '../src/recargas/recargas.queries.js';
import { bearer, buildTestApp, type TestContext } from './helper.js';

// Counter features (API.md §6.3, §6.7): a caja's sessions, floats' minimum,
// voiding a mistaken top-up, history search, paging headers and streaming.

const ctx = await buildTestApp();
const admin = bearer(ctx.adminToken);

async function shift(c: TestContext, nombre: string, saldo = 1000) {
  const cashier = await c.user('Operador');
  const caja = await c.ok('POST', '/cajas', bearer(c.adminToken), { nombre, saldo });
  const session = await c.ok('POST', '/cajas/abrir', bearer(cashier.token), { id_caja: caja.id });
  return { cashier, auth: bearer(cashier.token), caja, session };
}

const floats = async () =>
  Object.fromEntries(((await ctx.ok('GET', '/recargas/operadoras/saldos', admin)) as Array<{ nombre_operadora: string; saldo_actual: number }>).map((o) => [o.nombre_operadora, o.saldo_actual]));

test("a caja's sessions: newest first, with the cashier, filtered and paged with X-Total-Count", async () => {
  const caja = await ctx.ok('POST', '/cajas', admin, { nombre: 'Caja arqueos', saldo: 100 });
  const people = [await ctx.user('Operador'), await ctx.user('Operador'), await ctx.user('Operador')];
  const ids: number[] = [];
  for (const [i, p] of people.entries()) {
    const s = await ctx.ok('POST', '/cajas/abrir', bearer(p.token), { id_caja: caja.id });
    ids.push(s.id);
    if (i < 2) await ctx.ok('PATCH', `/cajas/sesion/${s.id}/cerrar`, bearer(p.token), { monto_final_real: 100, observacion: `turno ${i}` });
  }
  const all = await ctx.call('GET', `/cajas/${caja.id}/sesiones`, bearer(people[0]!.token));
  assert.equal(all.statusCode, 200);
  assert.equal(all.headers['x-total-count'], '3');
  const rows = all.json() as Array<Record<string, unknown> & { usuario: { id: string; nombres: string } }>;
  assert.deepEqual(rows.map((r) => r.id), [...ids].reverse(), 'newest first');
  assert.deepEqual(rows[0]!.usuario, { id: people[2]!.id, nombres: rows[0]!.usuario.nombres });
  assert.equal(rows[2]!.observacion, 'turno 0');
  const one = await ctx.ok('GET', `/cajas/sesion/${ids[0]}`, admin);
  const { usuario: _u, ...asSession } = rows[2]!;
  assert.deepEqual(asSession, one, 'each item is the session as GET /cajas/sesion/:id shows it');

  const open = await ctx.call('GET', `/cajas/${caja.id}/sesiones?estado=ABIERTA`, admin);
  assert.deepEqual(open.json().map((r: { id: number }) => r.id), [ids[2]]);
  assert.equal(open.headers['x-total-count'], '1');
  const mine = await ctx.call('GET', `/cajas/${caja.id}/sesiones?id_usuario=${people[1]!.id}`, admin);
  assert.deepEqual(mine.json().map((r: { id: number }) => r.id), [ids[1]]);
  const paged = await ctx.call('GET', `/cajas/${caja.id}/sesiones?limit=2&page=2`, admin);
  assert.deepEqual(paged.json().map((r: { id: number }) => r.id), [ids[0]]);
  assert.equal(paged.headers['x-total-count'], '3');
  const future = await ctx.call('GET', `/cajas/${caja.id}/sesiones?from=2999-01-01`, admin);
  assert.deepEqual(future.json(), []);
  assert.equal(future.headers['x-total-count'], '0');

  assert.equal((await ctx.call('GET', '/cajas/999999/sesiones', admin)).statusCode, 404);
  assert.equal((await ctx.call('GET', `/cajas/${caja.id}/sesiones?limit=201`, admin)).statusCode, 400);
  assert.equal((await ctx.call('GET', `/cajas/${caja.id}/sesiones?estado=abierta`, admin)).statusCode, 400);
  const driver = await ctx.user('Conductor');
  assert.equal((await ctx.call('GET', `/cajas/${caja.id}/sesiones`, bearer(driver.token))).statusCode, 403);
});

test('a float below its minimum is flagged; only an Administrador sets the minimum', async () => {
  const tigo = ((await ctx.ok('GET', '/recargas/operadoras/saldos', admin)) as Array<{ id: number; nombre_operadora: string }>).find((o) => o.nombre_operadora === 'Tigo')!;
  const set = await ctx.ok('PATCH', `/recargas/operadoras/${tigo.id}`, admin, { saldo_minimo: 1_000_000 });
  assert.equal(set.saldo_minimo, 1_000_000);
  assert.equal(set.bajo_minimo, true);
  assert.equal(typeof set.saldo_actual, 'number');
  const list = await ctx.ok('GET', '/recargas/operadoras/saldos', admin);
  for (const o of list) assert.deepEqual(Object.keys(o).sort(), ['bajo_minimo', 'id', 'nombre_operadora', 'saldo_actual', 'saldo_minimo']);
  assert.equal(list.find((o: { id: number }) => o.id === tigo.id).bajo_minimo, true);
  assert.equal((await ctx.ok('PATCH', `/recargas/operadoras/${tigo.id}`, admin, { saldo_minimo: 0 })).bajo_minimo, false);
  const op = await ctx.user('Operador');
  assert.equal((await ctx.call('PATCH', `/recargas/operadoras/${tigo.id}`, bearer(op.token), { saldo_minimo: 5 })).statusCode, 403);
  assert.equal((await ctx.call('PATCH', '/recargas/operadoras/99', admin, { saldo_minimo: 5 })).statusCode, 404);
  for (const saldo_minimo of [-1, '5', 1.001, null]) {
    assert.equal((await ctx.call('PATCH', `/recargas/operadoras/${tigo.id}`, admin, { saldo_minimo })).statusCode, 400, String(saldo_minimo));
  }
});

test('voiding a top-up: the float gets it back, the session gives it up, once, only while open', async () => {
  const { auth, session } = await shift(ctx, 'Caja anulación', 1000);
  await ctx.ok('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Viva', monto: 50, id_caja_sesion: session.id });
  const sale = await ctx.ok('POST', '/recargas/cliente', auth, { operadora: 'Viva', numero_cliente: '71112222', monto: 12.5, id_caja_sesion: session.id });
  const before = await floats();
  const teorico = (await ctx.ok('GET', `/cajas/sesion/${session.id}`, admin)).monto_final_teorico;

  const op = await ctx.user('Operador');
  assert.equal((await ctx.call('POST', `/recargas/cliente/${sale.id}/anular`, bearer(op.token), { motivo: 'x' })).statusCode, 403, 'Administrador only');
  assert.equal((await ctx.call('POST', `/recargas/cliente/${sale.id}/anular`, admin, { motivo: '' })).statusCode, 400);
  assert.equal((await ctx.call('POST', `/recargas/cliente/${sale.id}/anular`, admin, {})).statusCode, 400);
  assert.equal((await ctx.call('POST', '/recargas/cliente/999999/anular', admin, { motivo: 'x' })).statusCode, 404);

  const voided = await ctx.call('POST', `/recargas/cliente/${sale.id}/anular`, { ...admin, 'idempotency-key': 'void-1' }, { motivo: 'Número equivocado' });
  assert.equal(voided.statusCode, 200, voided.body);
  const v = voided.json();
  assert.equal(v.estado, 'ANULADA');
  assert.equal(v.motivo_anulacion, 'Número equivocado');
  assert.equal(typeof v.anulada_por, 'string');
  assert.ok(!Number.isNaN(Date.parse(v.anulada_en)));
  assert.deepEqual({ ...v, estado: 'COMPLETADA', anulada_en: null, anulada_por: null, motivo_anulacion: null }, sale);
  const replay = await ctx.call('POST', `/recargas/cliente/${sale.id}/anular`, { ...admin, 'idempotency-key': 'void-1' }, { motivo: 'Número equivocado' });
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.equal(replay.body, voided.body);

  const after = await floats();
  assert.equal(Math.round((after.Viva! - before.Viva!) * 100), 1250, 'the float got it back');
  const s = await ctx.ok('GET', `/cajas/sesion/${session.id}`, admin);
  assert.equal(Math.round((teorico - s.monto_final_teorico) * 100), 1250, 'the session gave it up');
  const movs = await ctx.ok('GET', `/cajas/sesion/${session.id}/movimientos`, admin);
  const voidMov = movs.find((m: { origen: string }) => m.origen === 'ANULACION');
  assert.deepEqual([voidMov.tipo, voidMov.monto, voidMov.id_origen], ['EGRESO', 12.5, sale.id]);
  assert.ok(movs.some((m: { origen: string; id_origen: number }) => m.origen === 'RECARGA' && m.id_origen === sale.id), 'the sale stays listed');

  const again = await ctx.call('POST', `/recargas/cliente/${sale.id}/anular`, admin, { motivo: 'otra vez' });
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().code, 'ALREADY_ANNULLED');
  const history = await ctx.ok('GET', `/recargas/historial/clientes?id_caja_sesion=${session.id}`, admin);
  assert.equal(history[0].estado, 'ANULADA');
  assert.deepEqual(await ctx.ok('GET', `/recargas/cliente/${sale.id}`, auth), v, 'one top-up, as its ticket reads it');
  assert.equal((await ctx.call('GET', '/recargas/cliente/999999', admin)).statusCode, 404);

  // Not enough cash in the register to give back.
  const sale2 = await ctx.ok('POST', '/recargas/cliente', auth, { operadora: 'Viva', numero_cliente: '71112222', monto: 20, id_caja_sesion: session.id });
  const cash = (await ctx.ok('GET', `/cajas/sesion/${session.id}`, admin)).monto_final_teorico;
  await ctx.ok('POST', '/cajas/movimiento', auth, { tipo: 'EGRESO', monto: cash - 10, motivo: 'Depósito al banco', id_sesion_caja: session.id });
  const short = await ctx.call('POST', `/recargas/cliente/${sale2.id}/anular`, admin, { motivo: 'x' });
  assert.equal(short.statusCode, 409);
  assert.equal(short.json().code, 'INSUFFICIENT_CASH');
  await ctx.ok('POST', '/cajas/movimiento', auth, { tipo: 'INGRESO', monto: 100, motivo: 'Cambio', id_sesion_caja: session.id });

  // Closed session: the sale can no longer be voided.
  const t = (await ctx.ok('GET', `/cajas/sesion/${session.id}`, admin)).monto_final_teorico;
  await ctx.ok('PATCH', `/cajas/sesion/${session.id}/cerrar`, auth, { monto_final_real: t });
  const late = await ctx.call('POST', `/recargas/cliente/${sale2.id}/anular`, admin, { motivo: 'x' });
  assert.equal(late.statusCode, 409);
  assert.equal(late.json().code, 'SESSION_CLOSED');

  const verify = await ctx.ok('GET', '/ledger/verify', admin);
  assert.equal(verify.ok, true, JSON.stringify(verify.checks.filter((c: { ok: boolean }) => !c.ok)));
  assert.ok(verify.checks.some((c: { name: string }) => c.name === 'voids_reverse_their_sale'));
});

test('voids under concurrency: five at once void once; a void racing the close and sales keeps the books exact', async () => {
  const { auth, session } = await shift(ctx, 'Caja carrera', 500);
  await ctx.ok('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Entel', monto: 100, id_caja_sesion: session.id });
  const sale = await ctx.ok('POST', '/recargas/cliente', auth, { operadora: 'Entel', numero_cliente: '73334444', monto: 5, id_caja_sesion: session.id });
  const five = await Promise.all(Array.from({ length: 5 }, () => ctx.call('POST', `/recargas/cliente/${sale.id}/anular`, admin, { motivo: 'carrera' })));
  assert.deepEqual(five.map((r) => r.statusCode).sort(), [200, 409, 409, 409, 409]);

  const sales = await Promise.all(
    Array.from({ length: 6 }, () => ctx.call('POST', '/recargas/cliente', auth, { operadora: 'Entel', numero_cliente: '73334444', monto: 1, id_caja_sesion: session.id })),
  );
  const toVoid = sales.filter((r) => r.statusCode === 201).map((r) => r.json().id as number);
  const teorico = (await ctx.ok('GET', `/cajas/sesion/${session.id}`, admin)).monto_final_teorico;
  const race = await Promise.all([
    ...toVoid.map((id) => ctx.call('POST', `/recargas/cliente/${id}/anular`, admin, { motivo: 'carrera' })),
    ctx.call('PATCH', `/cajas/sesion/${session.id}/cerrar`, auth, { monto_final_real: teorico }),
    ...Array.from({ length: 4 }, () => ctx.call('POST', '/recargas/cliente', auth, { operadora: 'Entel', numero_cliente: '73334444', monto: 1, id_caja_sesion: session.id })),
  ]);
  for (const r of race) assert.ok([200, 201, 409].includes(r.statusCode), `${r.statusCode} ${r.body}`);
  const closed = await ctx.ok('GET', `/cajas/sesion/${session.id}`, admin);
  assert.equal(closed.estado_sesion, 'CERRADA');
  const history = (await ctx.ok('GET', `/recargas/historial/clientes?id_caja_sesion=${session.id}`, admin)) as Array<{ estado: string; monto: number }>;
  const voided = history.filter((h) => h.estado === 'ANULADA').length;
  const movs = (await ctx.ok('GET', `/cajas/sesion/${session.id}/movimientos`, admin)) as Array<{ origen: string; tipo: string; monto: number }>;
  assert.equal(movs.filter((m) => m.origen === 'ANULACION').length, voided, 'one movement per void');
  const sum = (pred: (m: { origen: string; tipo: string }) => boolean) => Math.round(movs.filter(pred).reduce((s, m) => s + m.monto * 100, 0));
  assert.equal(Math.round(closed.total_egresos * 100), sum((m) => m.tipo === 'EGRESO' && m.origen !== 'AJUSTE' && m.origen !== 'APERTURA'));
  assert.equal(Math.round(closed.total_ingresos * 100), sum((m) => m.tipo === 'INGRESO' && m.origen !== 'AJUSTE' && m.origen !== 'APERTURA'));
  const verify = await ctx.ok('GET', '/ledger/verify', admin);
  assert.equal(verify.ok, true, JSON.stringify(verify.checks.filter((c: { ok: boolean }) => !c.ok)));
});

test('histories: buscar finds digits anywhere; pages carry X-Total-Count; the whole list is streamed', async () => {
  const { auth, session } = await shift(ctx, 'Caja búsqueda', 500);
  await ctx.ok('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Tigo', monto: 100, id_caja_sesion: session.id });
  for (const numero of ['76543210', '+59176543299', '61234567']) {
    await ctx.ok('POST', '/recargas/cliente', auth, { operadora: 'Tigo', numero_cliente: numero, monto: 1, id_caja_sesion: session.id });
  }
  const url = (q: string) => `/recargas/historial/clientes?id_caja_sesion=${session.id}&${q}`;
  assert.deepEqual((await ctx.ok('GET', url('buscar=6543'), admin)).map((r: { numero_cliente: string }) => r.numero_cliente).sort(), ['+59176543299', '76543210']);
  assert.deepEqual((await ctx.ok('GET', url('buscar=99'), admin)).map((r: { numero_cliente: string }) => r.numero_cliente), ['+59176543299']);
  assert.deepEqual(await ctx.ok('GET', url('numero_cliente=765432'), admin), [], 'numero_cliente stays exact');
  for (const bad of ['1', 'abc', '+591', '1'.repeat(16), '12%25']) assert.equal((await ctx.call('GET', url(`buscar=${bad}`), admin)).statusCode, 400, bad);
  assert.deepEqual(await ctx.ok('GET', `/recargas/historial/inyecciones?buscar=65`, admin), []);

  const page = await ctx.call('GET', url('limit=2'), admin);
  assert.equal(page.headers['x-total-count'], '3');
  assert.equal(page.json().length, 2);
  const all = await ctx.call('GET', url(''), admin);
  assert.equal(all.headers['x-total-count'], undefined, 'the whole list needs no count');
  assert.equal(all.json().length, 3);
  assert.match(String(all.headers['content-type']), /application\/json/);

  // A long list goes a chunk at a time; the stream joins them into one array.
  const chunks: number[] = [];
  const stream = jsonArrayStream(
    (async function* () {
      for await (const rows of saleChunks(ctx.database.db, { id_caja_sesion: session.id }, 2)) {
        chunks.push(rows.length);
        yield rows;
      }
    })(),
    (r) => r.id,
  );
  let text = '';
  for await (const part of stream) text += part;
  assert.deepEqual(chunks, [2, 1]);
  assert.deepEqual(JSON.parse(text), (await ctx.ok('GET', url(''), admin)).map((r: { id: number }) => r.id));
  assert.equal(await streamText(jsonArrayStream((async function* () {})(), (r) => r)), '[]');

  // Sales in the same millisecond (timestamps keep microseconds): a chunk boundary among them skips none.
  const ids = JSON.parse(text) as number[];
  for (const [i, id] of ids.entries()) {
    await sql`update recargas_cliente set fecha_hora = ${`2026-01-01 00:00:00.123${[9, 5, 1][i]}00+00`}::timestamptz where id = ${id}`.execute(ctx.database.db);
  }
  const oneByOne: number[] = [];
  for await (const rows of saleChunks(ctx.database.db, { id_caja_sesion: session.id }, 1)) oneByOne.push(...rows.map((r) => r.id));
  assert.deepEqual(oneByOne, ids);
});

async function streamText(stream: AsyncIterable<unknown>) {
  let text = '';
  for await (const part of stream) text += String(part);
  return text;
}

test('reports count completed sales only; a void shows in the caja history and as anuladas', async () => {
  const c = await buildTestApp();
  const a = bearer(c.adminToken);
  const cashier = await c.user('Operador');
  const caja = await c.ok('POST', '/cajas', a, { nombre: 'Caja informe', saldo: 100 });
  const session = await c.ok('POST', '/cajas/abrir', bearer(cashier.token), { id_caja: caja.id });
  await c.ok('POST', '/recargas/inyeccion', a, { operadora_destino: 'Tigo', monto: 50, id_caja_sesion: session.id });
  const keep = await c.ok('POST', '/recargas/cliente', bearer(cashier.token), { operadora: 'Tigo', numero_cliente: '70000001', monto: 3, id_caja_sesion: session.id });
  const drop = await c.ok('POST', '/recargas/cliente', bearer(cashier.token), { operadora: 'Tigo', numero_cliente: '70000002', monto: 4, id_caja_sesion: session.id });
  await c.ok('POST', `/recargas/cliente/${drop.id}/anular`, a, { motivo: 'error' });
  const day = await c.ok('GET', '/reportes/resumen', a);
  assert.deepEqual(day.recargas, { cantidad: 1, total: 3, anuladas: 1 });
  assert.equal(day.por_operadora.find((o: { operadora: string }) => o.operadora === 'Tigo').total, 3);
  assert.equal(day.por_dia[0].total, 3);
  const stats = await c.ok('GET', '/reportes/dashboard-stats', a);
  assert.equal(stats.kpis.ventas_hoy, 3);
  const hist = await c.ok('GET', `/reportes/data/caja-historial/${caja.id}`, a);
  assert.deepEqual(
    hist.movimientos.map((m: { tipo: string; monto: number }) => [m.tipo, m.monto]),
    [
      ['EGRESO', 50],
      ['INGRESO', 3],
      ['INGRESO', 4],
      ['EGRESO', 4],
    ],
  );
  assert.match(hist.movimientos[3].motivo, /Anulación de recarga/);
  assert.ok(keep.id);
});
