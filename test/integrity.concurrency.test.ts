import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

// Every money path under parallel fire at one balance (truly parallel on
// PostgreSQL; interleaved between statements on the embedded engine): only
// fundable requests succeed, balances and session totals equal exactly the
// accepted requests, no deadlock reaches a client, and one Idempotency-Key
// sent many times at once has exactly one effect.

const cents = (v: number | string) => {
  const [w, f = ''] = String(v).split('.');
  return Number(w) * 100 + Number(f.padEnd(2, '0'));
};

test('every money path under concurrency', async (t) => {
  const { app, adminToken, user } = await buildTestApp();
  const auth = bearer(adminToken);
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, headers: Record<string, string> = {}) =>
    app.inject({ method, url, headers: { ...auth, ...headers }, ...(payload ? { payload } : {}) });
  const ok = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
    const r = await call(method, url, payload);
    assert.ok(r.statusCode < 300, `${method} ${url} → ${r.statusCode} ${r.body}`);
    return r.json();
  };
  const count = (rs: { statusCode: number }[], status: number) => rs.filter((r) => r.statusCode === status).length;
  const verify = async () => assert.equal((await ok('GET', '/ledger/verify')).ok, true);

  await t.test('100 parallel injections of 10.00 from a register holding 500.00', async () => {
    const caja = await ok('POST', '/cajas', { nombre: 'Caja inyecciones', saldo: 500 });
    const session = await ok('POST', '/cajas/abrir', { id_caja: caja.id });
    const before = cents((await ok('GET', '/recargas/operadoras/saldos')).find((o: { nombre_operadora: string }) => o.nombre_operadora === 'Entel').saldo_actual);
    const rs = await Promise.all(
      Array.from({ length: 100 }, () => call('POST', '/recargas/inyeccion', { operadora_destino: 'Entel', monto: 10, id_caja_sesion: session.id })),
    );
    assert.equal(count(rs, 201), 50);
    assert.equal(count(rs, 409), 50);
    const s = await ok('GET', `/cajas/sesion/${session.id}`);
    assert.equal(cents(s.monto_final_teorico), 0);
    assert.equal(cents(s.total_egresos), 50_000);
    const after = cents((await ok('GET', '/recargas/operadoras/saldos')).find((o: { nombre_operadora: string }) => o.nombre_operadora === 'Entel').saldo_actual);
    assert.equal(after - before, 50_000);
    assert.equal(cents((await ok('GET', `/cajas/${caja.id}`)).saldo), 0);
    await verify();
  });

  await t.test('80 parallel manual movements (EGRESO 5.00 and INGRESO 1.00) against 100.00', async () => {
    const op = await user('Operador');
    const caja = await ok('POST', '/cajas', { nombre: 'Caja movimientos', saldo: 100 });
    const opened = await app.inject({ method: 'POST', url: '/cajas/abrir', headers: bearer(op.token), payload: { id_caja: caja.id } });
    const session = opened.json();
    const rs = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        app.inject({
          method: 'POST',
          url: '/cajas/movimiento',
          headers: bearer(op.token),
          payload: { tipo: i % 4 === 0 ? 'INGRESO' : 'EGRESO', monto: i % 4 === 0 ? 1 : 5, motivo: `m${i}`, id_sesion_caja: session.id },
        }),
      ),
    );
    assert.equal(count(rs, 500), 0);
    const ingresos = rs.filter((r, i) => i % 4 === 0 && r.statusCode === 201).length;
    const egresos = rs.filter((r, i) => i % 4 !== 0 && r.statusCode === 201).length;
    assert.equal(ingresos, 20);
    assert.equal(rs.filter((r, i) => i % 4 !== 0 && r.statusCode === 409).length, 60 - egresos);
    const s = await ok('GET', `/cajas/sesion/${session.id}`);
    assert.equal(cents(s.total_ingresos), ingresos * 100);
    assert.equal(cents(s.total_egresos), egresos * 500);
    assert.equal(cents(s.monto_final_teorico), 10_000 + ingresos * 100 - egresos * 500);
    assert.ok(cents(s.monto_final_teorico) >= 0);
    const movs = await ok('GET', `/cajas/sesion/${session.id}/movimientos`);
    assert.equal(movs.filter((m: { origen: string }) => m.origen === 'MANUAL').length, ingresos + egresos);
    await verify();
  });

  await t.test('confirm and cancel racing on the same pending top-ups: one winner each', async () => {
    const me = await ok('GET', '/auth/me');
    const driver = (await ok('POST', '/drivers', { nombre: 'Race driver' })).data;
    const point = (await ok('POST', '/cash-collection-points', { name: 'Race point' })).data;
    const records = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        ok('POST', `/drivers-balance/${driver.id}/topups`, { collectionPointId: point.id, collectedByUserId: me.id, amount: `${i + 1}.00` }),
      ),
    );
    const rs = await Promise.all(
      records.flatMap((r) => {
        const id = r.data.cashCollectionRecordId;
        return [
          call('POST', `/drivers-balance/topups/${id}/confirm`, {}),
          call('POST', `/drivers-balance/topups/${id}/cancel`, { reason: 'race' }),
          call('POST', `/drivers-balance/topups/${id}/confirm`, {}),
        ];
      }),
    );
    assert.equal(count(rs, 500), 0);
    let confirmed = 0;
    records.forEach((r, i) => {
      const trio = rs.slice(i * 3, i * 3 + 3);
      assert.equal(trio.filter((x) => x.statusCode === 200).length, 1, 'exactly one winner per record');
      if (trio[0]!.statusCode === 200 || trio[2]!.statusCode === 200) confirmed += cents(r.data.amount);
    });
    const wallet = (await ok('GET', `/drivers-balance/${driver.id}`)).data;
    assert.equal(cents(wallet.currentWalletBalance), confirmed);
    assert.equal(cents(wallet.pendingTopupsAmount), 0);
    await verify();
  });

  await t.test('the same Idempotency-Key sent 30 times at once: one effect, one answer replayed', async () => {
    const op = await user('Operador');
    const caja = await ok('POST', '/cajas', { nombre: 'Caja claves', saldo: 1000 });
    const session = (await app.inject({ method: 'POST', url: '/cajas/abrir', headers: bearer(op.token), payload: { id_caja: caja.id } })).json();
    await ok('POST', '/recargas/inyeccion', { operadora_destino: 'Viva', monto: 100, id_caja_sesion: session.id });
    const key = randomUUID();
    const body = { operadora: 'Viva', numero_cliente: '70000001', monto: 7.5, id_caja_sesion: session.id };
    const sell = () => app.inject({ method: 'POST', url: '/recargas/cliente', headers: { ...bearer(op.token), 'idempotency-key': key }, payload: body });
    const rs = await Promise.all(Array.from({ length: 30 }, sell));
    const created = rs.filter((r) => r.statusCode === 201);
    assert.equal(count(rs, 500), 0);
    assert.ok(created.length >= 1);
    assert.equal(created.length + count(rs, 409), 30);
    assert.equal(new Set(created.map((r) => r.json().id)).size, 1, 'every 201 is the same sale');
    const history = await ok('GET', `/recargas/historial/clientes?id_caja_sesion=${session.id}`);
    assert.equal(history.length, 1);
    const replay = await sell();
    assert.equal(replay.statusCode, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.deepEqual(replay.json(), created[0]!.json());

    const driver = (await ok('POST', '/drivers', { nombre: 'Key driver' })).data;
    const point = (await ok('POST', '/cash-collection-points', { name: 'Key point' })).data;
    const me = await ok('GET', '/auth/me');
    const topupKey = randomUUID();
    const topups = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('POST', `/drivers-balance/${driver.id}/topups`, { collectionPointId: point.id, collectedByUserId: me.id, amount: '12.34' }, { 'idempotency-key': topupKey }),
      ),
    );
    assert.equal(count(topups, 500), 0);
    const list = await ok('GET', `/drivers-balance/topups?driverId=${driver.id}`);
    assert.equal(list.meta.total, 1);
    await verify();
  });

  await t.test('a close racing sales, injections and movements keeps its totals exact', async () => {
    const op = await user('Operador');
    const caja = await ok('POST', '/cajas', { nombre: 'Caja cierre', saldo: 2000 });
    const session = (await app.inject({ method: 'POST', url: '/cajas/abrir', headers: bearer(op.token), payload: { id_caja: caja.id } })).json();
    await ok('POST', '/recargas/inyeccion', { operadora_destino: 'Tigo', monto: 500, id_caja_sesion: session.id });
    const fire = Array.from({ length: 90 }, (_, i) =>
      i % 3 === 0
        ? app.inject({ method: 'POST', url: '/recargas/cliente', headers: bearer(op.token), payload: { operadora: 'Tigo', numero_cliente: '78945612', monto: 2, id_caja_sesion: session.id } })
        : i % 3 === 1
          ? call('POST', '/recargas/inyeccion', { operadora_destino: 'Tigo', monto: 3, id_caja_sesion: session.id })
          : app.inject({ method: 'POST', url: '/cajas/movimiento', headers: bearer(op.token), payload: { tipo: 'EGRESO', monto: 1, motivo: 'x', id_sesion_caja: session.id } }),
    );
    const close = new Promise((r) => setTimeout(r, 15)).then(() =>
      app.inject({ method: 'PATCH', url: `/cajas/sesion/${session.id}/cerrar`, headers: bearer(op.token), payload: { monto_final_real: 0 } }),
    );
    const rs = await Promise.all(fire);
    const closed = await close;
    assert.equal(closed.statusCode, 200, closed.body);
    assert.equal(count(rs, 500), 0);
    const accepted = (k: number) => rs.filter((r, i) => i % 3 === k && r.statusCode === 201).length;
    const c = closed.json();
    assert.equal(cents(c.total_ingresos), accepted(0) * 200);
    assert.equal(cents(c.total_egresos), 50_000 + accepted(1) * 300 + accepted(2) * 100);
    assert.equal(cents(c.monto_final_teorico), 200_000 + accepted(0) * 200 - 50_000 - accepted(1) * 300 - accepted(2) * 100);
    assert.equal(cents((await ok('GET', `/cajas/${caja.id}`)).saldo), 0, 'after the count the register holds what was counted');
    const late = await app.inject({ method: 'POST', url: '/recargas/cliente', headers: bearer(op.token), payload: { operadora: 'Tigo', numero_cliente: '78945612', monto: 2, id_caja_sesion: session.id } });
    assert.equal(late.statusCode, 409);
    await verify();
  });
});
