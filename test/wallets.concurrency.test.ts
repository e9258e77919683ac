import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

// Races on one top-up and one wallet. On PGlite (one connection) the requests
// interleave between statements; on PostgreSQL they run truly in parallel.

test('concurrent confirms credit once; concurrent debits never overdraw', async () => {
  const { app, adminToken, database, user } = await buildTestApp();
  const operador = await user('Operador');
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, headers: bearer(adminToken), payload });
  const driver = (await post('/drivers', { nombre: 'Carrera' })).json().data;
  const point = (await post('/cash-collection-points', { name: 'Punto' })).json().data;

  // 20 pending top-ups of 10.00, each confirmed 5 times at once.
  const ccrIds: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await post(`/drivers-balance/${driver.id}/topups`, { collectionPointId: point.id, collectedByUserId: operador.id, amount: '10.00' });
    assert.equal(r.statusCode, 201, r.body);
    ccrIds.push(r.json().data.cashCollectionRecordId);
  }
  const results = await Promise.all(ccrIds.flatMap((id) => Array.from({ length: 5 }, () => post(`/drivers-balance/topups/${id}/confirm`, {}))));
  const ok = results.filter((r) => r.statusCode === 200);
  const conflicts = results.filter((r) => r.statusCode === 409);
  assert.equal(ok.length, 20, results.filter((r) => r.statusCode !== 200 && r.statusCode !== 409).map((r) => r.body).join('\n'));
  assert.equal(conflicts.length, 80);
  assert.ok(conflicts.every((r) => r.json().error.code === 'CCR_ALREADY_COMPLETED'));
  assert.deepEqual(new Set(ok.map((r) => r.json().data.cashCollectionRecordId)), new Set(ccrIds));
  // Each credit saw the balance the previous one left: the 20 newBalances are 10.00 … 200.00.
  const newBalances = ok.map((r) => r.json().data.newBalance).sort((a, b) => a.length - b.length || a.localeCompare(b));
  assert.deepEqual(newBalances, Array.from({ length: 20 }, (_, i) => `${(i + 1) * 10}.00`));

  const bal = (await app.inject({ url: `/drivers-balance/${driver.id}`, headers: bearer(adminToken) })).json().data;
  assert.equal(bal.currentWalletBalance, '200.00');
  assert.equal(bal.pendingTopupsAmount, '0.00');
  const moves = await database.db.selectFrom('wallet_movements').select('id').where('wallet_id', '=', driver.walletId).execute();
  assert.equal(moves.length, 20);

  // Down to 100.00, then 60 parallel debits of 5.00: exactly 20 fit.
  assert.equal((await post(`/drivers-balance/${driver.id}/debits`, { amount: '100.00', type: 'adjustment' })).statusCode, 201);
  const debits = await Promise.all(Array.from({ length: 60 }, (_, i) => post(`/drivers-balance/${driver.id}/debits`, { amount: '5.00', type: 'commission', reference: `race-${i}` })));
  const accepted = debits.filter((r) => r.statusCode === 201);
  const refused = debits.filter((r) => r.statusCode === 409);
  assert.equal(accepted.length, 20, debits.filter((r) => r.statusCode !== 201 && r.statusCode !== 409).map((r) => r.body).join('\n'));
  assert.equal(refused.length, 40);
  assert.ok(refused.every((r) => r.json().error.code === 'INSUFFICIENT_FUNDS'));
  const after = (await app.inject({ url: `/drivers-balance/${driver.id}`, headers: bearer(adminToken) })).json().data;
  assert.equal(after.currentWalletBalance, '0.00');
  const total = (await app.inject({ url: `/drivers-balance/${driver.walletId}/movements?limit=1`, headers: bearer(adminToken) })).json().meta.total;
  assert.equal(total, 20 + 1 + 20);

  const v = await app.inject({ url: '/ledger/verify', headers: bearer(adminToken) });
  assert.equal(v.json().ok, true, v.body);
});

test('concurrent confirm and cancel of one top-up: exactly one wins', async () => {
  const { app, adminToken, user } = await buildTestApp();
  const operador = await user('Operador');
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, headers: bearer(adminToken), payload });
  const driver = (await post('/drivers', { nombre: 'Duelo' })).json().data;
  const point = (await post('/cash-collection-points', { name: 'Punto' })).json().data;
  let credited = 0;
  for (let i = 0; i < 10; i++) {
    const ccr = (await post(`/drivers-balance/${driver.id}/topups`, { collectionPointId: point.id, collectedByUserId: operador.id, amount: '1.00' })).json().data.cashCollectionRecordId;
    const [c, x] = await Promise.all([post(`/drivers-balance/topups/${ccr}/confirm`, {}), post(`/drivers-balance/topups/${ccr}/cancel`, { reason: 'race' })]);
    const codes = [c.statusCode, x.statusCode].sort();
    assert.deepEqual(codes, [200, 409], `${c.body} ${x.body}`);
    if (c.statusCode === 200) credited++;
  }
  const bal = (await app.inject({ url: `/drivers-balance/${driver.id}`, headers: bearer(adminToken) })).json().data;
  assert.equal(bal.currentWalletBalance, `${credited}.00`);
  assert.equal(bal.pendingTopupsAmount, '0.00');
  const v = await app.inject({ url: '/ledger/verify', headers: bearer(adminToken) });
  assert.equal(v.json().ok, true, v.body);
});
