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

test('a refusal at validation is the first completed response: it claims the key (API.md §0)', async () => {
  const { app, adminToken } = await buildTestApp();
  const auth = bearer(adminToken);
  const caja = (await app.inject({ method: 'POST', url: '/cajas', headers: auth, payload: { nombre: 'Refused keys', saldo: 10 } })).json();
  const session = (await app.inject({ method: 'POST', url: '/cajas/abrir', headers: auth, payload: { id_caja: caja.id } })).json();
  const post = (url: string, key: string, payload: unknown) => app.inject({ method: 'POST', url, headers: { ...auth, 'idempotency-key': key }, payload: payload as object });
  const move = (monto: unknown) => ({ tipo: 'INGRESO', monto, motivo: 'Propina', id_sesion_caja: session.id });

  const refused = await post('/cajas/movimiento', 'mv-1', move('5'));
  assert.equal(refused.statusCode, 400);
  assert.equal(refused.headers['idempotent-replayed'], undefined);
  assert.equal(refused.json().error, 'Bad Request');
  const again = await post('/cajas/movimiento', 'mv-1', move('5'));
  assert.equal(again.statusCode, 400);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(again.body, refused.body);
  // The corrected request is another body under the same key.
  const corrected = await post('/cajas/movimiento', 'mv-1', move(5));
  assert.equal(corrected.statusCode, 422, corrected.body);
  assert.equal((await post('/cajas/movimiento', 'mv-2', move(5))).statusCode, 201);

  // A top-up below the minimum, through the batched sale path.
  const sale = (monto: number) => ({ operadora: 'Tigo', numero_cliente: '70000001', monto, id_caja_sesion: session.id });
  assert.equal((await post('/recargas/cliente', 'sale-1', sale(0.05))).statusCode, 400);
  assert.equal((await post('/recargas/cliente', 'sale-1', sale(0.05))).headers['idempotent-replayed'], 'true');
  assert.equal((await post('/recargas/cliente', 'sale-1', sale(1))).statusCode, 422);

  // Wallet family: the stored body is the wallet error body.
  const driver = (await app.inject({ method: 'POST', url: '/drivers', headers: auth, payload: { nombre: 'Refused key' } })).json().data;
  const debit = (amount: string) => post(`/drivers-balance/${driver.id}/debits`, 'debit-1', { amount, type: 'commission' });
  const bad = await debit('1.234');
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().success, false);
  const badAgain = await debit('1.234');
  assert.equal(badAgain.headers['idempotent-replayed'], 'true');
  assert.equal(badAgain.body, bad.body);
  const reused = await debit('1.00');
  assert.equal(reused.statusCode, 422);
  assert.equal(reused.json().error.code, 'IDEMPOTENCY_KEY_REUSED');

  // A body that is not JSON cannot be compared with a retry: it claims nothing.
  const malformed = await app.inject({
    method: 'POST',
    url: '/cajas/movimiento',
    headers: { ...auth, 'idempotency-key': 'mv-3', 'content-type': 'application/json' },
    payload: '{"tipo": "INGRESO",',
  });
  assert.equal(malformed.statusCode, 400);
  assert.equal((await post('/cajas/movimiento', 'mv-3', move(5))).statusCode, 201);

  const totals = (await app.inject({ url: `/cajas/sesion/${session.id}`, headers: auth })).json();
  assert.equal(totals.total_ingresos, 10);
  assert.equal((await app.inject({ url: '/recargas/historial/clientes', headers: auth })).json().length, 0);
});

test('POST /cajas with an Idempotency-Key books its opening saldo once', async () => {
  const { app, adminToken } = await buildTestApp();
  const auth = bearer(adminToken);
  const create = () =>
    app.inject({ method: 'POST', url: '/cajas', headers: { ...auth, 'idempotency-key': 'caja-1' }, payload: { nombre: 'Keyed caja', saldo: 250.5 } });
  const first = await create();
  assert.equal(first.statusCode, 201, first.body);
  const again = await create();
  assert.equal(again.statusCode, 201);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.deepEqual(again.json(), first.json());
  const cajas = (await app.inject({ url: '/cajas', headers: auth })).json() as Array<{ nombre: string; saldo: number }>;
  assert.deepEqual(cajas.filter((c) => c.nombre === 'Keyed caja').map((c) => c.saldo), [250.5]);
  const verify = (await app.inject({ url: '/ledger/verify', headers: auth })).json();
  assert.equal(verify.ok, true);
});
