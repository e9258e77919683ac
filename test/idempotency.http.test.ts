import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

test('an Idempotency-Key is scoped to the resource, however its path is spelled', async () => {
  const { app, adminToken } = await buildTestApp();
  const auth = bearer(adminToken);
  const me = (await app.inject({ url: '/auth/me', headers: auth })).json();
  const driver = (await app.inject({ method: 'POST', url: '/drivers', headers: auth, payload: { nombre: 'Key path' } })).json().data;
  const point = (await app.inject({ method: 'POST', url: '/cash-collection-points', headers: auth, payload: { name: 'P' } })).json().data;
  const topup = (
    await app.inject({ method: 'POST', url: `/drivers-balance/${driver.id}/topups`, headers: auth, payload: { collectionPointId: point.id, collectedByUserId: me.id, amount: '100.00' } })
  ).json().data;
  await app.inject({ method: 'POST', url: `/drivers-balance/topups/${topup.cashCollectionRecordId}/confirm`, headers: auth, payload: {} });

  const debit = (path: string) =>
    app.inject({ method: 'POST', url: path, headers: { ...auth, 'idempotency-key': 'debit-1' }, payload: { amount: '10.00', type: 'commission' } });
  const first = await debit(`/drivers-balance/${driver.id}/debits`);
  assert.equal(first.statusCode, 201);
  for (const spelling of [`/drivers-balance/${driver.id.toUpperCase()}/debits`, `/drivers-balance/${encodeURIComponent(driver.id).replace('-', '%2D')}/debits`]) {
    const again = await debit(spelling);
    assert.equal(again.statusCode, 201, spelling);
    assert.equal(again.headers['idempotent-replayed'], 'true', spelling);
    assert.deepEqual(again.json(), first.json());
  }
  const wallet = (await app.inject({ url: `/drivers-balance/${driver.id}`, headers: auth })).json().data;
  assert.equal(wallet.currentWalletBalance, '90.00');
  // Another resource with the same key is another operation.
  const other = (await app.inject({ method: 'POST', url: '/drivers', headers: auth, payload: { nombre: 'Other' } })).json().data;
  const res = await app.inject({
    method: 'POST',
    url: `/drivers-balance/${other.id}/debits`,
    headers: { ...auth, 'idempotency-key': 'debit-1' },
    payload: { amount: '10.00', type: 'commission' },
  });
  assert.equal(res.statusCode, 409);
  assert.equal(res.json().error.code, 'INSUFFICIENT_FUNDS');
});

test('an Idempotency-Key is 1–255 characters of any kind but control characters', async () => {
  const { app, adminToken } = await buildTestApp();
  const auth = bearer(adminToken);
  const caja = (await app.inject({ method: 'POST', url: '/cajas', headers: auth, payload: { nombre: 'Keys', saldo: 10 } })).json();
  const session = (await app.inject({ method: 'POST', url: '/cajas/abrir', headers: auth, payload: { id_caja: caja.id } })).json();
  const move = (key: string) =>
    app.inject({
      method: 'POST',
      url: '/cajas/movimiento',
      headers: { ...auth, 'idempotency-key': key },
      payload: { tipo: 'INGRESO', monto: 1, motivo: 'Propina', id_sesion_caja: session.id },
    });
  const spaced = await move('order 42 / retry');
  assert.equal(spaced.statusCode, 201, spaced.body);
  const replay = await move('order 42 / retry');
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.deepEqual(replay.json(), spaced.json());
  assert.equal((await move('k'.repeat(255))).statusCode, 201);
  for (const bad of ['k'.repeat(256), 'tab\there']) {
    const res = await move(bad);
    assert.equal(res.statusCode, 400, bad);
    assert.match(res.json().message, /Idempotency-Key/);
  }
  assert.equal((await app.inject({ url: `/cajas/sesion/${session.id}`, headers: auth })).json().total_ingresos, 2);
});
