import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

// Cash registers and sessions (API.md §2), through the real HTTP layer.

const ctx = await buildTestApp();
const admin = bearer(ctx.adminToken);

type Headers = Record<string, string>;
const { call } = ctx;

async function createCaja(body: Record<string, unknown>) {
  const res = await call('POST', '/cajas', admin, body);
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: number; nombre: string; especialidad: string; saldo: number };
}

async function openSession(headers: Headers, body: Record<string, unknown>) {
  const res = await call('POST', '/cajas/abrir', headers, body);
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: number; monto_inicial: number; id_usuario: string; id_caja: number };
}

const saldoOf = async (id: number) => (await call('GET', `/cajas/${id}`, admin)).json().saldo as number;

test('create a caja: roles, validation, opening saldo', async () => {
  const caja = await createCaja({ nombre: 'Caja Central', saldo: 500.5, unknown: 'ignored' });
  assert.deepEqual(caja, { id: caja.id, nombre: 'Caja Central', especialidad: 'MIXTA', saldo: 500.5 });
  const zero = await createCaja({ nombre: 'Caja Vacía', especialidad: 'SOLO_VENTAS' });
  // 255 characters, 510 UTF-16 units: within the limit.
  assert.equal((await createCaja({ nombre: '😀'.repeat(255) })).nombre, '😀'.repeat(255));
  assert.equal((await createCaja({ nombre: '😀😀😀' })).nombre, '😀😀😀');
  // A JSON number is read as the number it denotes, however it is written.
  const raw = (text: string) => ctx.app.inject({ method: 'POST', url: '/cajas', headers: { ...admin, 'content-type': 'application/json' }, payload: text });
  assert.equal((await raw('{"nombre":"Caja exponente","saldo":1e1}')).json().saldo, 10);
  assert.equal((await raw('{"nombre":"Caja exponente","saldo":1.2345e1}')).statusCode, 400);
  assert.equal(zero.saldo, 0);
  assert.equal(zero.especialidad, 'SOLO_VENTAS');

  assert.equal((await call('POST', '/cajas', {}, { nombre: 'Caja X' })).statusCode, 401);
  assert.equal((await call('POST', '/cajas', bearer(await ctx.tokenFor('Operador')), { nombre: 'Caja X' })).statusCode, 403);
  assert.equal((await call('POST', '/cajas', bearer(await ctx.tokenFor('Usuario')), { nombre: 'Caja X' })).statusCode, 403);
  for (const bad of [
    { nombre: 'ab' },
    // Two characters, four UTF-16 units: counted as PostgreSQL counts them.
    { nombre: '😀😀' },
    { nombre: '😀'.repeat(256) },
    { nombre: 'Caja X', saldo: 1.234 },
    { nombre: 'Caja X', saldo: '10' },
    { nombre: 'Caja X', saldo: -1 },
    { nombre: 'Caja X', especialidad: 'OTRA' },
    { nombre: 'x'.repeat(256) },
    { nombre: 'Caja\u0000X' },
    {},
  ]) {
    const res = await call('POST', '/cajas', admin, bad);
    assert.equal(res.statusCode, 400, JSON.stringify(bad));
    const body = res.json();
    assert.equal(body.statusCode, 400);
    assert.equal(body.error, 'Bad Request');
  }

  const got = await call('GET', `/cajas/${caja.id}`, bearer(await ctx.tokenFor('Usuario')));
  assert.equal(got.statusCode, 200);
  assert.deepEqual(got.json(), {
    id: caja.id,
    nombre: 'Caja Central',
    especialidad: 'MIXTA',
    saldo: 500.5,
    estado: true,
    sesion_activa: null,
    sesiones: [],
  });
  const list = await call('GET', '/cajas', bearer(await ctx.tokenFor('Operador')));
  assert.equal(list.statusCode, 200);
  assert.ok(list.json().some((c: { id: number }) => c.id === zero.id));
  assert.equal((await call('GET', '/cajas', bearer(await ctx.tokenFor('Conductor')))).statusCode, 403);
  assert.equal((await call('GET', '/cajas/999999', admin)).statusCode, 404);
  assert.equal((await call('GET', '/cajas/abc', admin)).statusCode, 400);
  assert.equal((await call('GET', '/cajas/0', admin)).statusCode, 400);
});

test('PATCH changes name and especialidad, never the saldo', async () => {
  const caja = await createCaja({ nombre: 'Caja Patch', saldo: 10 });
  const res = await call('PATCH', `/cajas/${caja.id}`, admin, { nombre: 'Caja Renombrada', especialidad: 'SOLO_AGENTES', saldo: 999 });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().nombre, 'Caja Renombrada');
  assert.equal(res.json().especialidad, 'SOLO_AGENTES');
  assert.equal(res.json().saldo, 10);
  assert.equal((await call('PATCH', `/cajas/${caja.id}`, bearer(await ctx.tokenFor('Operador')), { nombre: 'Otra' })).statusCode, 403);
  assert.equal((await call('PATCH', '/cajas/999999', admin, { nombre: 'Otra caja' })).statusCode, 404);
  assert.equal((await call('PATCH', `/cajas/${caja.id}`, admin, { nombre: 12 })).statusCode, 400);
  assert.equal((await call('PATCH', `/cajas/${caja.id}`, admin, { nombre: '😀😀' })).statusCode, 400);
});

test('open a session: defaults, adjustment, one per caja and per user', async () => {
  const op = await ctx.user('Operador');
  const op2 = await ctx.user('Operador');
  const caja = await createCaja({ nombre: 'Caja Apertura', saldo: 100 });
  const other = await createCaja({ nombre: 'Caja Otra', saldo: 50 });

  const s = await openSession(bearer(op.token), { id_caja: caja.id });
  assert.equal(s.monto_inicial, 100);
  assert.equal(s.id_usuario, op.id);
  assert.equal(s.id_caja, caja.id);
  const sj = (await call('GET', `/cajas/sesion/${s.id}`, admin)).json();
  assert.equal(sj.estado_sesion, 'ABIERTA');
  assert.equal(sj.monto_final_teorico, 100);
  assert.equal(sj.total_ingresos, 0);
  assert.equal(sj.fecha_cierre, null);

  // The caja lists its open session in both shapes.
  const cj = (await call('GET', `/cajas/${caja.id}`, admin)).json();
  assert.equal(cj.sesion_activa.id, s.id);
  assert.equal(cj.sesiones.length, 1);
  assert.equal(cj.sesiones[0].estado_sesion, 'ABIERTA');

  // One open session per caja, one per user.
  const dupCaja = await call('POST', '/cajas/abrir', bearer(op2.token), { id_caja: caja.id });
  assert.equal(dupCaja.statusCode, 409, dupCaja.body);
  const dupUser = await call('POST', '/cajas/abrir', bearer(op.token), { id_caja: other.id });
  assert.equal(dupUser.statusCode, 409, dupUser.body);

  // A counted amount different from the books is an AJUSTE; saldo follows the count.
  const s2 = await openSession(bearer(op2.token), { id_caja: other.id, monto_inicial: 45.25 });
  assert.equal(s2.monto_inicial, 45.25);
  assert.equal(await saldoOf(other.id), 45.25);
  const moves = (await call('GET', `/cajas/sesion/${s2.id}/movimientos`, admin)).json();
  assert.deepEqual(
    moves.map((m: { origen: string; tipo: string; monto: number }) => [m.origen, m.tipo, m.monto]),
    [
      ['APERTURA', 'INGRESO', 45.25],
      ['AJUSTE', 'EGRESO', 4.75],
    ],
  );
  const s2j = (await call('GET', `/cajas/sesion/${s2.id}`, admin)).json();
  assert.equal(s2j.total_ingresos, 0);
  assert.equal(s2j.total_egresos, 0);
  assert.equal(s2j.monto_final_teorico, 45.25);

  assert.equal((await call('POST', '/cajas/abrir', admin, { id_caja: 999999 })).statusCode, 404);
  assert.equal((await call('POST', '/cajas/abrir', admin, { id_caja: '1' })).statusCode, 400);
  assert.equal((await call('POST', '/cajas/abrir', admin, { id_caja: caja.id, monto_inicial: 1.001 })).statusCode, 400);
  assert.equal((await call('POST', '/cajas/abrir', bearer(await ctx.tokenFor('Usuario')), { id_caja: caja.id })).statusCode, 403);
});

test('manual movements, totals, balance and ownership', async () => {
  const op = await ctx.user('Operador');
  const op2 = await ctx.user('Operador');
  const caja = await createCaja({ nombre: 'Caja Movimientos', saldo: 200 });
  const s = await openSession(bearer(op.token), { id_caja: caja.id });
  const h = bearer(op.token);

  const ing = await call('POST', '/cajas/movimiento', h, { tipo: 'INGRESO', monto: 50.1, motivo: 'Venta', id_sesion_caja: s.id });
  assert.equal(ing.statusCode, 201, ing.body);
  const body = ing.json();
  assert.deepEqual(Object.keys(body).sort(), ['fecha', 'id', 'id_sesion_caja', 'monto', 'motivo', 'tipo']);
  assert.equal(body.monto, 50.1);
  assert.equal(body.tipo, 'INGRESO');
  assert.equal(body.id_sesion_caja, s.id);
  assert.ok(!Number.isNaN(Date.parse(body.fecha)));

  const egr = await call('POST', '/cajas/movimiento', h, { tipo: 'EGRESO', monto: 0.1, motivo: 'Bolsas', id_sesion_caja: s.id });
  assert.equal(egr.statusCode, 201, egr.body);

  // More than the register holds (250.00): refused, nothing changes.
  const tooMuch = await call('POST', '/cajas/movimiento', h, { tipo: 'EGRESO', monto: 250.01, motivo: 'Retiro', id_sesion_caja: s.id });
  assert.equal(tooMuch.statusCode, 409, tooMuch.body);
  assert.deepEqual(Object.keys(tooMuch.json()).sort(), ['code', 'error', 'message', 'statusCode']);
  const all = await call('POST', '/cajas/movimiento', h, { tipo: 'EGRESO', monto: 250, motivo: 'Retiro total', id_sesion_caja: s.id });
  assert.equal(all.statusCode, 201, all.body);
  assert.equal(await saldoOf(caja.id), 0);
  const back = await call('POST', '/cajas/movimiento', h, { tipo: 'INGRESO', monto: 30, motivo: 'Reposición', id_sesion_caja: s.id });
  assert.equal(back.statusCode, 201);

  const sj = (await call('GET', `/cajas/sesion/${s.id}`, bearer(await ctx.tokenFor('Usuario')))).json();
  assert.equal(sj.monto_inicial, 200);
  assert.equal(sj.total_ingresos, 80.1);
  assert.equal(sj.total_egresos, 250.1);
  assert.equal(sj.monto_final_teorico, 30);
  const bal = await call('GET', `/cajas/sesion/${s.id}/balance`, admin);
  assert.equal(bal.statusCode, 200);
  assert.equal(bal.body, '30');
  assert.equal(await saldoOf(caja.id), 30);

  const moves = (await call('GET', `/cajas/sesion/${s.id}/movimientos`, admin)).json();
  assert.deepEqual(
    moves.map((m: { origen: string; monto: number }) => [m.origen, m.monto]),
    [
      ['APERTURA', 200],
      ['MANUAL', 50.1],
      ['MANUAL', 0.1],
      ['MANUAL', 250],
      ['MANUAL', 30],
    ],
  );

  // Validation (400) before existence (404) before ownership (403) before rules (409).
  for (const bad of [
    { tipo: 'INGRESO', monto: 0.05, motivo: 'x', id_sesion_caja: s.id },
    { tipo: 'INGRESO', monto: 1.005, motivo: 'x', id_sesion_caja: s.id },
    { tipo: 'INGRESO', monto: '10', motivo: 'x', id_sesion_caja: s.id },
    { tipo: 'INGRESO', monto: 10, motivo: '   ', id_sesion_caja: s.id },
    { tipo: 'OTRO', monto: 10, motivo: 'x', id_sesion_caja: s.id },
    { tipo: 'INGRESO', monto: 10, motivo: 'x', id_sesion_caja: 0 },
    { tipo: 'INGRESO', monto: 10, motivo: 'x', id_sesion_caja: true },
    { tipo: 'INGRESO', monto: 10_000_000_000, motivo: 'x', id_sesion_caja: s.id },
  ]) {
    assert.equal((await call('POST', '/cajas/movimiento', h, bad)).statusCode, 400, JSON.stringify(bad));
  }
  assert.equal((await call('POST', '/cajas/movimiento', h, { tipo: 'INGRESO', monto: 1, motivo: 'x', id_sesion_caja: 999999 })).statusCode, 404);
  const foreign = await call('POST', '/cajas/movimiento', bearer(op2.token), { tipo: 'INGRESO', monto: 1, motivo: 'x', id_sesion_caja: s.id });
  assert.equal(foreign.statusCode, 403, foreign.body);
  const byAdmin = await call('POST', '/cajas/movimiento', admin, { tipo: 'EGRESO', monto: 10, motivo: 'Admin', id_sesion_caja: s.id });
  assert.equal(byAdmin.statusCode, 201, byAdmin.body);
  assert.equal(await saldoOf(caja.id), 20);
  assert.equal((await call('POST', '/cajas/movimiento', bearer(await ctx.tokenFor('Usuario')), { tipo: 'INGRESO', monto: 1, motivo: 'x', id_sesion_caja: s.id })).statusCode, 403);

  assert.equal((await call('GET', '/cajas/sesion/999999', admin)).statusCode, 404);
  assert.equal((await call('GET', '/cajas/sesion/999999/movimientos', admin)).statusCode, 404);
  assert.equal((await call('GET', '/cajas/sesion/999999/balance', admin)).statusCode, 404);
  assert.equal((await call('GET', `/cajas/sesion/${s.id}`, bearer(await ctx.tokenFor('Conductor')))).statusCode, 403);
});

test('active session lookups', async () => {
  const op = await ctx.user('Operador');
  const op2 = await ctx.user('Operador');
  assert.equal((await call('GET', '/cajas/sesion-activa', bearer(op.token))).statusCode, 404);
  const caja = await createCaja({ nombre: 'Caja Activa' });
  const s = await openSession(bearer(op.token), { id_caja: caja.id });
  const mine = await call('GET', '/cajas/sesion-activa', bearer(op.token));
  assert.equal(mine.statusCode, 200);
  assert.equal(mine.json().id, s.id);
  assert.equal((await call('GET', `/cajas/sesion-activa/${op.id}`, bearer(op.token))).json().id, s.id);
  assert.equal((await call('GET', `/cajas/sesion-activa/${op.id}`, admin)).json().id, s.id);
  assert.equal((await call('GET', `/cajas/sesion-activa/${op.id}`, bearer(op2.token))).statusCode, 403);
  assert.equal((await call('GET', `/cajas/sesion-activa/${op2.id}`, admin)).statusCode, 404);
  assert.equal((await call('GET', '/cajas/sesion-activa/not-a-uuid', admin)).statusCode, 400);
  assert.equal((await call('GET', '/cajas/sesion-activa/0c1d2e3f-4a5b-4c6d-8e7f-8a9b0c1d2e3f', admin)).statusCode, 404);
});

test('close a session: diferencia booked, nothing after', async () => {
  const op = await ctx.user('Operador');
  const op2 = await ctx.user('Operador');
  const h = bearer(op.token);
  const caja = await createCaja({ nombre: 'Caja Cierre', saldo: 100 });
  const s = await openSession(h, { id_caja: caja.id });
  assert.equal((await call('POST', '/cajas/movimiento', h, { tipo: 'INGRESO', monto: 20.3, motivo: 'Venta', id_sesion_caja: s.id })).statusCode, 201);

  assert.equal((await call('PATCH', `/cajas/sesion/${s.id}/cerrar`, bearer(op2.token), { monto_final_real: 1 })).statusCode, 403);
  assert.equal((await call('PATCH', `/cajas/sesion/${s.id}/cerrar`, h, { monto_final_real: -1 })).statusCode, 400);
  assert.equal((await call('PATCH', `/cajas/sesion/${s.id}/cerrar`, h, {})).statusCode, 400);
  assert.equal((await call('PATCH', '/cajas/sesion/999999/cerrar', h, { monto_final_real: 1 })).statusCode, 404);
  assert.equal((await call('DELETE', `/cajas/${caja.id}`, admin)).statusCode, 409);

  // Counted 115.00 against a teórico of 120.30: a shortage of 5.30.
  const closed = await call('PATCH', `/cajas/sesion/${s.id}/cerrar`, h, { monto_final_real: 115 });
  assert.equal(closed.statusCode, 200, closed.body);
  const c = closed.json();
  assert.equal(c.estado_sesion, 'CERRADA');
  assert.equal(c.monto_inicial, 100);
  assert.equal(c.total_ingresos, 20.3);
  assert.equal(c.total_egresos, 0);
  assert.equal(c.monto_final_teorico, 120.3);
  assert.equal(c.monto_final_real, 115);
  assert.equal(c.diferencia, -5.3);
  assert.ok(c.fecha_cierre);
  assert.equal(await saldoOf(caja.id), 115);
  assert.equal((await call('GET', `/cajas/sesion/${s.id}/balance`, admin)).body, '120.3');

  const moves = (await call('GET', `/cajas/sesion/${s.id}/movimientos`, admin)).json();
  assert.deepEqual(moves.at(-1), { ...moves.at(-1), origen: 'AJUSTE', tipo: 'EGRESO', monto: 5.3 });
  // The shortage is not a session total, before or after closing.
  assert.equal((await call('GET', `/cajas/sesion/${s.id}`, admin)).json().total_egresos, 0);

  // Nothing lands on a closed session; closing twice is refused.
  assert.equal((await call('POST', '/cajas/movimiento', h, { tipo: 'INGRESO', monto: 1, motivo: 'tarde', id_sesion_caja: s.id })).statusCode, 409);
  assert.equal((await call('POST', '/cajas/movimiento', admin, { tipo: 'INGRESO', monto: 1, motivo: 'tarde', id_sesion_caja: s.id })).statusCode, 409);
  assert.equal((await call('PATCH', `/cajas/sesion/${s.id}/cerrar`, h, { monto_final_real: 115 })).statusCode, 409);
  assert.equal((await call('GET', '/cajas/sesion-activa', h)).statusCode, 404);

  // A surplus the next time; the next session starts from the counted cash.
  const s2 = await openSession(h, { id_caja: caja.id });
  assert.equal(s2.monto_inicial, 115);
  const closed2 = (await call('PATCH', `/cajas/sesion/${s2.id}/cerrar`, admin, { monto_final_real: 115.01 })).json();
  assert.equal(closed2.diferencia, 0.01);
  assert.equal(await saldoOf(caja.id), 115.01);

  // Deactivate once closed; an inactive caja cannot be opened.
  const del = await call('DELETE', `/cajas/${caja.id}`, admin);
  assert.equal(del.statusCode, 200, del.body);
  assert.equal(del.json().estado, false);
  assert.equal((await call('POST', '/cajas/abrir', h, { id_caja: caja.id })).statusCode, 409);
  assert.equal((await call('DELETE', '/cajas/999999', admin)).statusCode, 404);
  assert.equal((await call('DELETE', `/cajas/${caja.id}`, bearer(op.token))).statusCode, 403);
});

test('Idempotency-Key on a movement: replay, no second effect, 422 on another body', async () => {
  const op = await ctx.user('Operador');
  const caja = await createCaja({ nombre: 'Caja Idem', saldo: 10 });
  const s = await openSession(bearer(op.token), { id_caja: caja.id });
  const h = { ...bearer(op.token), 'idempotency-key': 'mov-1' };
  const body = { tipo: 'EGRESO', monto: 4, motivo: 'Pago', id_sesion_caja: s.id };
  const first = await call('POST', '/cajas/movimiento', h, body);
  assert.equal(first.statusCode, 201);
  const again = await call('POST', '/cajas/movimiento', h, { ...body });
  assert.equal(again.statusCode, 201);
  assert.equal(again.body, first.body);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(await saldoOf(caja.id), 6);
  const other = await call('POST', '/cajas/movimiento', h, { ...body, monto: 5 });
  assert.equal(other.statusCode, 422);
  assert.equal(await saldoOf(caja.id), 6);
  // A refusal is replayed too, without effect.
  const h2 = { ...bearer(op.token), 'idempotency-key': 'mov-2' };
  const refused = await call('POST', '/cajas/movimiento', h2, { ...body, monto: 7 });
  assert.equal(refused.statusCode, 409);
  assert.equal((await call('POST', '/cajas/movimiento', h2, { ...body, monto: 7 })).body, refused.body);
  const moves = (await call('GET', `/cajas/sesion/${s.id}/movimientos`, admin)).json();
  assert.equal(moves.filter((m: { origen: string }) => m.origen === 'MANUAL').length, 1);
});

test('ledger verify is clean after all of the above', async () => {
  const res = await call('GET', '/ledger/verify', admin);
  assert.equal(res.statusCode, 200);
  const report = res.json();
  assert.equal(report.ok, true, JSON.stringify(report.checks.filter((c: { ok: boolean }) => !c.ok)));
  for (const name of ['caja_session_totals_match_movements', 'caja_movements_match_transfers', 'caja_transfers_have_movements', 'caja_saldo_matches_ledger', 'caja_movements_unique']) {
    assert.ok(report.checks.some((c: { name: string }) => c.name === name), name);
  }
});
