import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

// Races that only a real server can show (PGlite runs one statement at a time).

const ctx = await buildTestApp();

type Headers = Record<string, string>;
const { call } = ctx;
const cents = (n: number) => Math.round(n * 100);

async function openShift(headers: Headers, saldo: number, nombre: string) {
  const admin = bearer(ctx.adminToken);
  const caja = await call('POST', '/cajas', admin, { nombre, saldo });
  assert.equal(caja.statusCode, 201, caja.body);
  const s = await call('POST', '/cajas/abrir', headers, { id_caja: caja.json().id });
  assert.equal(s.statusCode, 201, s.body);
  return { cajaId: caja.json().id as number, sessionId: s.json().id as number };
}

const saldo = async (name: string) =>
  ((await call('GET', '/recargas/operadoras/saldos', bearer(ctx.adminToken))).json() as { nombre_operadora: string; saldo_actual: number }[]).find(
    (o) => o.nombre_operadora === name,
  )!.saldo_actual;

test('200 parallel top-ups of 1.00 against a float of 100.00: exactly 100 succeed', async () => {
  const admin = bearer(ctx.adminToken);
  const ops = [await ctx.user('Operador'), await ctx.user('Operador')];
  const shifts = [await openShift(bearer(ops[0]!.token), 100, 'Caja Carrera A'), await openShift(bearer(ops[1]!.token), 0, 'Caja Carrera B')];
  const inj = await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Tigo', monto: 100, id_caja_sesion: shifts[0]!.sessionId });
  assert.equal(inj.statusCode, 201, inj.body);
  assert.equal(await saldo('Tigo'), 100);

  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => {
      const k = i % 2;
      return call('POST', '/recargas/cliente', bearer(ops[k]!.token), {
        operadora: 'Tigo',
        numero_cliente: `7${String(i).padStart(7, '0')}`,
        monto: 1,
        id_caja_sesion: shifts[k]!.sessionId,
      }).then((r) => ({ k, status: r.statusCode, body: r.body }));
    }),
  );
  const statuses = results.map((r) => r.status);
  assert.deepEqual([...new Set(statuses)].sort(), [201, 409], JSON.stringify(results.find((r) => r.status !== 201 && r.status !== 409)));
  assert.equal(statuses.filter((s) => s === 201).length, 100);
  assert.equal(await saldo('Tigo'), 0);

  let total = 0;
  for (const k of [0, 1]) {
    const accepted = results.filter((r) => r.k === k && r.status === 201).length;
    total += accepted;
    const s = (await call('GET', `/cajas/sesion/${shifts[k]!.sessionId}`, admin)).json();
    assert.equal(cents(s.total_ingresos), accepted * 100);
    assert.equal(cents(s.monto_final_teorico), cents(s.monto_inicial) + accepted * 100 - cents(s.total_egresos));
    const caja = (await call('GET', `/cajas/${shifts[k]!.cajaId}`, admin)).json();
    assert.equal(cents(caja.saldo), cents(s.monto_final_teorico));
    const hist = (await call('GET', `/recargas/historial/clientes?id_caja_sesion=${shifts[k]!.sessionId}`, admin)).json();
    assert.equal(hist.length, accepted);
  }
  assert.equal(total, 100);
  const verify = (await call('GET', '/ledger/verify', admin)).json();
  assert.equal(verify.ok, true, JSON.stringify(verify.checks.filter((c: { ok: boolean }) => !c.ok)));
});

test('a close racing 100 in-flight top-ups: totals hold exactly the accepted ones', async () => {
  const admin = bearer(ctx.adminToken);
  const op = await ctx.user('Operador');
  const h = bearer(op.token);
  const { cajaId, sessionId } = await openShift(h, 1000, 'Caja Cierre Carrera');
  assert.equal((await call('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Viva', monto: 1000, id_caja_sesion: sessionId })).statusCode, 201);
  const vivaBefore = cents(await saldo('Viva'));

  const sale = (i: number) =>
    call('POST', '/recargas/cliente', h, { operadora: 'Viva', numero_cliente: `6${String(i).padStart(7, '0')}`, monto: 1, id_caja_sesion: sessionId });
  // All 100 are sent at once; the close goes out when the fifth one is answered,
  // while most of the others are still queued or in flight.
  let answered = 0;
  let startClose!: () => void;
  const closeGate = new Promise<void>((resolve) => (startClose = resolve));
  const inFlight = Array.from({ length: 100 }, (_, i) =>
    sale(i).then((r) => {
      if (++answered === 5) startClose();
      return r;
    }),
  );
  const close = closeGate.then(() => call('PATCH', `/cajas/sesion/${sessionId}/cerrar`, h, { monto_final_real: 0 }));
  const [closed, ...sales] = await Promise.all([close, ...inFlight]);

  assert.equal(closed!.statusCode, 200, closed!.body);
  const c = closed!.json();
  const accepted = sales.filter((r) => r.statusCode === 201).length;
  const refused = sales.filter((r) => r.statusCode === 409);
  assert.equal(accepted + refused.length, 100, JSON.stringify(sales.find((r) => r.statusCode !== 201 && r.statusCode !== 409)?.body));
  for (const r of refused) assert.match(r.json().message, /closed/);
  // The close's totals are exactly the accepted sales (the injection is the only egreso).
  assert.equal(cents(c.total_ingresos), accepted * 100);
  assert.equal(cents(c.total_egresos), 100_000);
  assert.equal(cents(c.monto_final_teorico), 100_000 + accepted * 100 - 100_000);
  assert.equal(cents(c.diferencia), 0 - cents(c.monto_final_teorico));
  assert.ok(accepted >= 5, `accepted ${accepted}`);
  console.log(`close race: ${accepted} accepted, ${refused.length} refused as closed`);

  // Nothing landed after: the stored session still says the same, and every
  // movement and sale of the session is accounted for.
  const after = (await call('GET', `/cajas/sesion/${sessionId}`, admin)).json();
  assert.deepEqual(after, c);
  const hist = (await call('GET', `/recargas/historial/clientes?id_caja_sesion=${sessionId}`, admin)).json();
  assert.equal(hist.length, accepted);
  const moves = (await call('GET', `/cajas/sesion/${sessionId}/movimientos`, admin)).json() as { origen: string; fecha: string }[];
  assert.equal(moves.filter((m) => m.origen === 'RECARGA').length, accepted);
  for (const m of moves.filter((m) => m.origen === 'RECARGA')) assert.ok(m.fecha <= c.fecha_cierre);
  assert.equal(cents(await saldo('Viva')), vivaBefore - accepted * 100);
  // The counted cash (0) is what the caja holds now.
  assert.equal((await call('GET', `/cajas/${cajaId}`, admin)).json().saldo, 0);
  const late = await sale(999);
  assert.equal(late.statusCode, 409);
  const verify = (await call('GET', '/ledger/verify', admin)).json();
  assert.equal(verify.ok, true, JSON.stringify(verify.checks.filter((x: { ok: boolean }) => !x.ok)));
});
