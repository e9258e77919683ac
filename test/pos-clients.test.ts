import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { ConfigError, loadConfig } from '../src/config.js';
import { bearer, buildTestApp, type TestContext } from './helper.js';

// What POS front ends written for the original Recargas backend call besides
// the recargas routes (API.md §6.2): users with persona and estado, the
// roles list, the admin-only register alias, cashier injections and the
// cash reports.

const ctx = await buildTestApp();
const admin = bearer(ctx.adminToken);
const operador = await ctx.user('Operador');
const usuario = await ctx.user('Usuario');
const conductor = await ctx.user('Conductor');

const isoTime = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v)) && v.endsWith('Z');

async function shift(c: TestContext, token: string, nombre: string, saldo = 1000) {
  const caja = await c.ok('POST', '/cajas', bearer(c.adminToken), { nombre, saldo });
  const session = await c.ok('POST', '/cajas/abrir', bearer(token), { id_caja: caja.id });
  return { caja, session };
}

test('users carry estado and persona; POST and PATCH take the persona fields; estado is an alias of activo', async () => {
  const created = await ctx.ok('POST', '/usuario', admin, {
    email: 'ana@pos.test',
    password: 'password-123',
    nombres: 'Ana',
    role: 'Operador',
    p_apellido: 'Quispe',
    s_apellido: 'Mamani',
    fecha_nacimiento: '1990-02-28',
    genero: 'F',
  });
  assert.deepEqual(created.persona, { nombres: 'Ana', p_apellido: 'Quispe', s_apellido: 'Mamani', fecha_nacimiento: '1990-02-28', genero: 'F' });
  assert.equal(created.estado, true);
  assert.equal(created.activo, true);

  const list = (await ctx.ok('GET', '/usuario', admin)) as Array<Record<string, unknown>>;
  for (const u of list) {
    assert.equal(typeof u.estado, 'boolean');
    assert.equal(u.estado, u.activo);
    const p = u.persona as Record<string, unknown>;
    assert.equal(p.nombres, u.nombres);
    for (const k of ['p_apellido', 's_apellido', 'fecha_nacimiento', 'genero']) assert.ok(k in p, k);
  }
  const ana = list.find((u) => u.id === created.id)!;
  assert.deepEqual(ana.persona, created.persona);

  const off = await ctx.ok('PATCH', `/usuario/${created.id}`, admin, { estado: false, p_apellido: null, genero: 'O' });
  assert.equal(off.activo, false);
  assert.equal(off.estado, false);
  assert.equal(off.persona.p_apellido, null);
  assert.equal(off.persona.genero, 'O');
  assert.equal(off.persona.s_apellido, 'Mamani', 'fields not sent stay');
  const login = await ctx.call('POST', '/auth/login', {}, { email: 'ana@pos.test', password: 'password-123' });
  assert.equal(login.statusCode, 401, 'a deactivated user cannot log in');

  for (const bad of [{ estado: true, activo: false }, { fecha_nacimiento: '1990-02-30' }, { fecha_nacimiento: '28/02/1990' }, { genero: 'X' }, { estado: 'true' }]) {
    const r = await ctx.call('PATCH', `/usuario/${created.id}`, admin, bad);
    assert.equal(r.statusCode, 400, JSON.stringify(bad));
  }
  assert.equal((await ctx.ok('GET', `/usuario/${created.id}`, admin)).activo, false, 'refused patches changed nothing');
});

test('GET /auth/roles/list: fixed ids, Administrador only', async () => {
  const roles = await ctx.ok('GET', '/auth/roles/list', admin);
  assert.deepEqual(
    roles.map((r: { id: number; nombre: string }) => [r.id, r.nombre]),
    [
      [1, 'Administrador'],
      [2, 'Operador'],
      [3, 'Usuario'],
      [4, 'Conductor'],
    ],
  );
  for (const r of roles) assert.equal(typeof r.descripcion, 'string');
  assert.equal((await ctx.call('GET', '/auth/roles/list')).statusCode, 401);
  for (const who of [operador, usuario, conductor]) assert.equal((await ctx.call('GET', '/auth/roles/list', bearer(who.token))).statusCode, 403);
});

test('POST /usuario/register: Administrador only, id_role mapped, Usuario by default, estado false deactivated', async () => {
  const body = (email: string, extra: object = {}) => ({ email, password: 'password-123', nombres: 'Reg', name: 'Reg', ...extra });
  assert.equal((await ctx.call('POST', '/usuario/register', {}, body('a@reg.test'))).statusCode, 401);
  for (const who of [operador, usuario, conductor]) {
    assert.equal((await ctx.call('POST', '/usuario/register', bearer(who.token), body('b@reg.test'))).statusCode, 403);
  }
  assert.equal((await ctx.call('GET', '/usuario?email=b@reg.test', admin)).json().some((u: { email: string }) => u.email === 'b@reg.test'), false);

  const plain = await ctx.call('POST', '/usuario/register', admin, body('c@reg.test'));
  assert.equal(plain.statusCode, 201, plain.body);
  assert.equal(plain.json().role, 'Usuario');
  assert.equal(plain.json().estado, true);
  const cashier = await ctx.ok('POST', '/usuario/register', admin, body('d@reg.test', { id_role: 2, p_apellido: 'Choque', genero: 'M' }));
  assert.equal(cashier.role, 'Operador');
  assert.equal(cashier.persona.p_apellido, 'Choque');
  const boss = await ctx.ok('POST', '/usuario/register', admin, body('e@reg.test', { id_role: 1 }));
  assert.equal(boss.role, 'Administrador');
  const off = await ctx.ok('POST', '/usuario/register', admin, body('f@reg.test', { estado: false }));
  assert.equal(off.activo, false);
  assert.equal((await ctx.call('POST', '/auth/login', {}, { email: 'f@reg.test', password: 'password-123' })).statusCode, 401);
  for (const id_role of [4, 0, 5, 99, '2', 1.5]) {
    const r = await ctx.call('POST', '/usuario/register', admin, body(`g${String(id_role)}@reg.test`, { id_role }));
    assert.equal(r.statusCode, 400, `id_role ${String(id_role)}: ${r.body}`);
  }
  assert.equal((await ctx.call('POST', '/usuario/register', admin, body('c@reg.test'))).statusCode, 409, 'email taken');
});

test('INJECTION_ROLES: cashiers inject on their own session only when allowed; only Administrador and Operador may be named', async () => {
  const { session } = await shift(ctx, operador.token, 'Caja inyección 1');
  const inject = (c: TestContext, token: string, id: number) =>
    c.call('POST', '/recargas/inyeccion', bearer(token), { operadora_destino: 'Viva', monto: 5, id_caja_sesion: id });
  assert.equal((await inject(ctx, operador.token, session.id)).statusCode, 403, 'off by default');

  const allowed = await buildTestApp({ INJECTION_ROLES: 'Operador' });
  const op1 = await allowed.user('Operador');
  const op2 = await allowed.user('Operador');
  const mine = await shift(allowed, op1.token, 'Caja inyección 2');
  const theirs = await shift(allowed, op2.token, 'Caja inyección 3');
  const ok = await inject(allowed, op1.token, mine.session.id);
  assert.equal(ok.statusCode, 201, ok.body);
  assert.equal(ok.json().id_caja_origen, mine.session.id);
  const other = await inject(allowed, op1.token, theirs.session.id);
  assert.equal(other.statusCode, 403, other.body);
  assert.equal(other.json().code, 'SESSION_NOT_OWNED');
  const viaAdmin = await inject(allowed, allowed.adminToken, theirs.session.id);
  assert.equal(viaAdmin.statusCode, 201, 'Administrador stays allowed on any session');
  const us = await allowed.user('Usuario');
  assert.equal((await inject(allowed, us.token, mine.session.id)).statusCode, 403);
  const saldo = (await allowed.ok('GET', `/cajas/sesion/${mine.session.id}`, bearer(op1.token))).monto_final_teorico;
  assert.equal(saldo, 995);

  assert.deepEqual(loadConfig({ INJECTION_ROLES: 'Operador' }).INJECTION_ROLES, ['Administrador', 'Operador']);
  assert.deepEqual(loadConfig({}).INJECTION_ROLES, ['Administrador']);
  for (const bad of ['Usuario', 'Conductor', 'Administrador,Cajero', 'operador']) {
    assert.throws(() => loadConfig({ INJECTION_ROLES: bad }), (err: unknown) => err instanceof ConfigError && /INJECTION_ROLES/.test(err.message), bad);
  }
  assert.throws(() => loadConfig({ BUSINESS_TIMEZONE: 'Mars/Olympus' }), ConfigError);
});

test('cash reports: a session’s manual movements and a caja’s history, shapes, order and totals', async () => {
  const cashier = await ctx.user('Operador');
  const { caja, session } = await shift(ctx, cashier.token, 'Caja reporte', 500);
  const op = bearer(cashier.token);
  await ctx.ok('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Tigo', monto: 100, id_caja_sesion: session.id });
  await ctx.ok('POST', '/cajas/movimiento', op, { tipo: 'INGRESO', monto: 20.25, motivo: 'Propina', id_sesion_caja: session.id });
  await ctx.ok('POST', '/recargas/cliente', op, { operadora: 'Tigo', numero_cliente: '71234567', monto: 10.5, id_caja_sesion: session.id });
  await ctx.ok('POST', '/cajas/movimiento', op, { tipo: 'EGRESO', monto: 5.1, motivo: 'Bolsas', id_sesion_caja: session.id });

  const report = await ctx.ok('GET', `/reportes/data/movimientos-caja/${session.id}`, bearer(usuario.token));
  assert.deepEqual(Object.keys(report).sort(), ['movimientos', 'sesion', 'totales']);
  assert.equal(report.sesion.id, session.id);
  assert.equal(report.sesion.cajaNombre, 'Caja reporte');
  assert.ok(isoTime(report.sesion.fechaApertura));
  assert.equal(report.sesion.fechaCierre, null);
  assert.equal(report.sesion.montoInicial, 500);
  assert.equal(report.sesion.saldoActualTeorico, 425.65, '500 − 100 + 20.25 + 10.5 − 5.10');
  assert.deepEqual(
    report.movimientos.map((m: Record<string, unknown>) => [m.tipo, m.motivo, m.monto]),
    [
      ['INGRESO', 'Propina', 20.25],
      ['EGRESO', 'Bolsas', 5.1],
    ],
    'MANUAL movements only, oldest first',
  );
  for (const m of report.movimientos) {
    assert.deepEqual(Object.keys(m).sort(), ['fecha', 'id', 'monto', 'motivo', 'tipo']);
    assert.ok(Number.isInteger(m.id) && isoTime(m.fecha) && typeof m.monto === 'number');
  }
  assert.deepEqual(report.totales, { ingresos: 20.25, egresos: 5.1, neto: 15.15 });

  await ctx.ok('PATCH', `/cajas/sesion/${session.id}/cerrar`, op, { monto_final_real: 425, observacion: 'Faltan 65 ctv', conteo: [{ denominacion: 200, cantidad: 2 }, { denominacion: 5, cantidad: 5 }] });
  const closed = await ctx.ok('GET', `/reportes/data/movimientos-caja/${session.id}`, admin);
  assert.ok(isoTime(closed.sesion.fechaCierre));
  assert.equal(closed.sesion.saldoActualTeorico, 425.65, 'a closed session keeps its teórico');

  const hist = await ctx.ok('GET', `/reportes/data/caja-historial/${caja.id}`, admin);
  assert.deepEqual(hist.caja, { id: caja.id, nombre: 'Caja reporte' });
  const rows = hist.movimientos as Array<{ id: number; fecha: string; id_sesion: number; tipo: string; motivo: string; monto: number }>;
  assert.deepEqual(
    rows.map((m) => [m.tipo, m.monto]),
    [
      ['EGRESO', 100],
      ['INGRESO', 20.25],
      ['INGRESO', 10.5],
      ['EGRESO', 5.1],
      ['EGRESO', 0.65],
    ],
    'injection, manual, top-up, manual, closing shortage; no opening count',
  );
  assert.ok(rows.every((m) => m.id_sesion === session.id && isoTime(m.fecha)));
  assert.ok(rows.every((m, i) => i === 0 || rows[i - 1]!.id < m.id), 'oldest first');
  assert.match(rows[0]!.motivo, /Tigo/);
  assert.match(rows[2]!.motivo, /Recarga Tigo 71234567/);
  assert.match(rows[4]!.motivo, /Faltante/);
  const sum = (tipo: string) => Math.round(rows.filter((m) => m.tipo === tipo).reduce((s, m) => s + m.monto * 100, 0)) / 100;
  assert.deepEqual(hist.totales, { ingresos: sum('INGRESO'), egresos: sum('EGRESO'), neto: Math.round((sum('INGRESO') - sum('EGRESO')) * 100) / 100 });
  assert.deepEqual(hist.totales, { ingresos: 30.75, egresos: 105.75, neto: -75 });

  const empty = await ctx.ok('POST', '/cajas', admin, { nombre: 'Caja vacía', saldo: 50 });
  assert.deepEqual(await ctx.ok('GET', `/reportes/data/caja-historial/${empty.id}`, admin), {
    caja: { id: empty.id, nombre: 'Caja vacía' },
    movimientos: [],
    totales: { ingresos: 0, egresos: 0, neto: 0 },
  });

  for (const url of [`/reportes/data/movimientos-caja/999999`, `/reportes/data/caja-historial/999999`]) {
    const r = await ctx.call('GET', url, admin);
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().statusCode, 404);
  }
  for (const url of [`/reportes/data/movimientos-caja/${session.id}`, `/reportes/data/caja-historial/${caja.id}`, '/reportes/dashboard-stats', '/reportes/resumen']) {
    assert.equal((await ctx.call('GET', url)).statusCode, 401, url);
    assert.equal((await ctx.call('GET', url, bearer(conductor.token))).statusCode, 403, url);
    assert.equal((await ctx.call('GET', url, bearer(operador.token))).statusCode, 200, url);
  }
  assert.equal((await ctx.call('GET', '/reportes/data/movimientos-caja/abc', admin)).statusCode, 400);
});

test('closing takes an observacion and a count by notes and coins that must add up', async () => {
  const cashier = await ctx.user('Operador');
  const { session } = await shift(ctx, cashier.token, 'Caja conteo', 100);
  const op = bearer(cashier.token);
  const wrong = await ctx.call('PATCH', `/cajas/sesion/${session.id}/cerrar`, op, { monto_final_real: 100, conteo: [{ denominacion: 50, cantidad: 1 }] });
  assert.equal(wrong.statusCode, 400, wrong.body);
  for (const conteo of [[{ denominacion: 0, cantidad: 1 }], [{ denominacion: 10, cantidad: -1 }], [{ denominacion: 0.001, cantidad: 1 }], [{ denominacion: 10, cantidad: 1.5 }]]) {
    assert.equal((await ctx.call('PATCH', `/cajas/sesion/${session.id}/cerrar`, op, { monto_final_real: 10, conteo })).statusCode, 400, JSON.stringify(conteo));
  }
  assert.equal((await ctx.ok('GET', `/cajas/sesion/${session.id}`, op)).estado_sesion, 'ABIERTA');
  const closed = await ctx.ok('PATCH', `/cajas/sesion/${session.id}/cerrar`, op, {
    monto_final_real: 100.5,
    observacion: 'Sobra una moneda',
    conteo: [
      { denominacion: 50, cantidad: 2 },
      { denominacion: 0.5, cantidad: 1 },
      { denominacion: 20, cantidad: 0 },
    ],
  });
  assert.equal(closed.observacion, 'Sobra una moneda');
  assert.deepEqual(closed.conteo, [
    { denominacion: 50, cantidad: 2 },
    { denominacion: 0.5, cantidad: 1 },
    { denominacion: 20, cantidad: 0 },
  ]);
  assert.equal(closed.diferencia, 0.5);
  assert.deepEqual((await ctx.ok('GET', `/cajas/sesion/${session.id}`, op)).conteo, closed.conteo);
});

test('dashboard and day summary follow BUSINESS_TIMEZONE: a sale at 23:30 in La Paz belongs to that day', async () => {
  const c = await buildTestApp({ BUSINESS_TIMEZONE: 'America/La_Paz' });
  const a = bearer(c.adminToken);
  const cashier = await c.user('Operador');
  const { session } = await shift(c, cashier.token, 'Caja zona', 1000);
  await c.ok('POST', '/recargas/inyeccion', a, { operadora_destino: 'Entel', monto: 500, id_caja_sesion: session.id });
  await c.ok('POST', '/recargas/inyeccion', a, { operadora_destino: 'Tigo', monto: 200, id_caja_sesion: session.id });
  const sell = (operadora: string, monto: number) =>
    c.ok('POST', '/recargas/cliente', bearer(cashier.token), { operadora, numero_cliente: '61234567', monto, id_caja_sesion: session.id });
  // Placed in time by hand: 23:30 on 31 March in La Paz is 03:30 on 1 April UTC.
  const at = async (id: number, instant: string) => sql`update recargas_cliente set fecha_hora = ${instant}::timestamptz where id = ${id}`.execute(c.database.db);
  await at((await sell('Entel', 10)).id, '2025-04-01T03:30:00Z');
  await at((await sell('Entel', 2.5)).id, '2025-04-01T04:30:00Z');
  await at((await sell('Tigo', 7.25)).id, '2025-12-31T12:00:00Z');
  await at((await sell('Tigo', 1)).id, '2026-01-01T03:59:59Z');
  const todays = await sell('Entel', 3.3);

  const stats = await c.ok('GET', '/reportes/dashboard-stats?anio=2025', a);
  assert.deepEqual(Object.keys(stats).sort(), ['kpis', 'recargas_distribucion', 'top_productos', 'ventas_mensuales']);
  assert.deepEqual(
    stats.ventas_mensuales.map((m: { mes: string; total: number }) => [m.mes, m.total]),
    [
      ['Ene', 0],
      ['Feb', 0],
      ['Mar', 10],
      ['Abr', 2.5],
      ['May', 0],
      ['Jun', 0],
      ['Jul', 0],
      ['Ago', 0],
      ['Sep', 0],
      ['Oct', 0],
      ['Nov', 0],
      ['Dic', 8.25],
    ],
  );
  assert.deepEqual(stats.recargas_distribucion, [
    { proveedor: 'Tigo', total: 8.25 },
    { proveedor: 'Entel', total: 12.5 },
    { proveedor: 'Viva', total: 0 },
  ]);
  assert.deepEqual(stats.top_productos, []);
  assert.deepEqual(stats.kpis, { ventas_hoy: 3.3, recargas_hoy: 3.3, ganancia_comisiones_hoy: 0, productos_stock_bajo: 0 });
  const thisYear = await c.ok('GET', '/reportes/dashboard-stats', a);
  assert.equal(thisYear.kpis.ventas_hoy, 3.3);
  assert.ok(thisYear.ventas_mensuales.some((m: { total: number }) => m.total === 3.3), 'the current year by default');
  assert.equal((await c.call('GET', '/reportes/dashboard-stats?anio=25', a)).statusCode, 400);

  const day = await c.ok('GET', '/reportes/resumen?from=2025-03-31&to=2025-04-01', a);
  assert.equal(day.from, '2025-03-31');
  assert.equal(day.to, '2025-04-01');
  // 03:30 and 04:30 UTC on 1 April are 23:30 on 31 March and 00:30 on 1 April in La Paz.
  assert.deepEqual(day.por_dia, [
    { dia: '2025-03-31', cantidad: 1, total: 10 },
    { dia: '2025-04-01', cantidad: 1, total: 2.5 },
  ]);
  assert.deepEqual(day.recargas, { cantidad: 2, total: 12.5, anuladas: 0 });
  assert.deepEqual(day.por_operadora, [
    { operadora: 'Tigo', cantidad: 0, total: 0 },
    { operadora: 'Entel', cantidad: 2, total: 12.5 },
    { operadora: 'Viva', cantidad: 0, total: 0 },
  ]);
  assert.equal(day.por_usuario.length, 1);
  assert.deepEqual(day.por_usuario[0], { id_usuario: cashier.id, nombres: day.por_usuario[0].nombres, cantidad: 2, total: 12.5 });
  assert.match(day.por_usuario[0].nombres, /^Operador/);
  const lastDay = await c.ok('GET', '/reportes/resumen?from=2025-03-31&to=2025-03-31', a);
  assert.deepEqual(lastDay.recargas, { cantidad: 1, total: 10, anuladas: 0 }, 'the 23:30 sale is on the 31st, not the UTC 1st');
  assert.deepEqual(day.inyecciones, { cantidad: 0, total: 0 });

  const today = await c.ok('GET', '/reportes/resumen', a);
  assert.equal(today.from, today.to);
  assert.deepEqual(today.recargas, { cantidad: 1, total: 3.3, anuladas: 0 });
  assert.deepEqual(today.inyecciones, { cantidad: 2, total: 700 });
  assert.equal(today.sesiones.abiertas, 1);
  assert.equal(today.por_dia.length, 1);
  assert.ok(todays.id);

  await c.ok('PATCH', `/cajas/sesion/${session.id}/cerrar`, bearer(cashier.token), { monto_final_real: 10, observacion: 'Descuadre' });
  const after = await c.ok('GET', `/reportes/resumen?from=${today.from}&to=${today.to}`, a);
  assert.equal(after.sesiones.abiertas, 0);
  assert.equal(after.sesiones.cerradas, 1);
  assert.equal(after.sesiones.con_diferencia.length, 1);
  assert.deepEqual(Object.keys(after.sesiones.con_diferencia[0]).sort(), ['diferencia', 'id', 'id_caja', 'id_usuario', 'observacion']);
  assert.equal(after.sesiones.con_diferencia[0].observacion, 'Descuadre');
  assert.equal(typeof after.sesiones.con_diferencia[0].diferencia, 'number');

  for (const q of ['from=2025-01-01&to=2026-01-02', 'from=2025-02-01&to=2025-01-01', 'from=2025-13-01', 'from=yesterday']) {
    const r = await c.call('GET', `/reportes/resumen?${q}`, a);
    assert.equal(r.statusCode, 400, q);
    assert.equal(r.json().statusCode, 400);
  }
  assert.equal((await c.call('GET', '/reportes/resumen?from=2025-01-01&to=2026-01-01', a)).statusCode, 200, '366 days');
});

test('GET /config/public needs no token', async () => {
  const c = await buildTestApp({ SHOP_NAME: 'Tienda Kantuta', LOCALE: 'es-BO' });
  const res = await c.call('GET', '/config/public');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { shopName: 'Tienda Kantuta', posCurrency: 'BOB', timezone: 'America/La_Paz', locale: 'es-BO' });
});
