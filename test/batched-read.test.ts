import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { batchedRead } from '../src/core/batched-read.js';
import type { Db } from '../src/db/transaction.js';
import { topupContexts, topupsToConfirm } from '../src/wallets/wallets.queries.js';
import { bearer, buildTestApp } from './helper.js';

// Wallet requests that arrive together share their lookup (issue 19): one
// query answers each caller its own row, in order, missing ones included.

const turn = () => new Promise((r) => setImmediate(r));

test('callers in one turn share a query, each gets its own answer; a transaction reads alone; a failure fails that batch only', async () => {
  const pool = { name: 'pool' } as unknown as Db;
  const trx = { name: 'trx' } as unknown as Db;
  const calls: Array<{ on: string; keys: string[] }> = [];
  const read = batchedRead(pool, async (q: Db, keys: string[]) => {
    calls.push({ on: (q as unknown as { name: string }).name, keys });
    if (keys.includes('bad')) throw new Error('the database refused');
    return keys.map((k) => `value of ${k}`);
  });

  const together = await Promise.all([read(pool, 'a'), read(pool, 'b'), read(trx, 'c'), read(pool, 'a')]);
  assert.deepEqual(together, ['value of a', 'value of b', 'value of c', 'value of a']);
  assert.deepEqual(calls, [
    { on: 'trx', keys: ['c'] },
    { on: 'pool', keys: ['a', 'b', 'a'] },
  ]);

  calls.length = 0;
  const failed = Promise.allSettled([read(pool, 'x'), read(pool, 'bad')]);
  await turn();
  const next = read(pool, 'y'); // after the batch above started: a batch of its own
  assert.deepEqual((await failed).map((r) => r.status), ['rejected', 'rejected']);
  assert.equal(await next, 'value of y');
  assert.deepEqual(calls, [
    { on: 'pool', keys: ['x', 'bad'] },
    { on: 'pool', keys: ['y'] },
  ]);
});

test('the batched lookups answer one row per key, in order, with what is missing', async () => {
  const ctx = await buildTestApp();
  const admin = bearer(ctx.adminToken);
  const me = await ctx.ok('GET', '/auth/me', admin);
  const drivers = await Promise.all([1, 2].map(async (i) => (await ctx.ok('POST', '/drivers', admin, { nombre: `Lote ${i}` })).data));
  const point = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Punto lote' })).data;
  const nobody = randomUUID();

  const contexts = await topupContexts(ctx.database.db, [
    { driverId: drivers[1].id, pointId: point.id, collectorId: me.id },
    { driverId: nobody, pointId: point.id, collectorId: nobody },
    { driverId: drivers[0].id, pointId: nobody, collectorId: me.id },
  ]);
  assert.equal(contexts.length, 3);
  assert.equal(contexts[0]!.wallet_id, drivers[1].walletId);
  assert.equal(contexts[0]!.point_id, point.id);
  assert.equal(contexts[0]!.collector_id, me.id);
  assert.equal(contexts[1]!.wallet_id, null);
  assert.equal(contexts[1]!.collector_id, null);
  assert.equal(contexts[1]!.point_id, point.id);
  assert.equal(contexts[2]!.wallet_id, drivers[0].walletId);
  assert.equal(contexts[2]!.point_id, null);

  const topup = async (d: { id: string }, amount: string) =>
    (await ctx.ok('POST', `/drivers-balance/${d.id}/topups`, admin, { collectionPointId: point.id, collectedByUserId: me.id, amount })).data;
  const [t1, t2] = [await topup(drivers[0], '1.25'), await topup(drivers[1], '3.50')];
  const records = await topupsToConfirm(ctx.database.db, [t2.cashCollectionRecordId, nobody, t1.cashCollectionRecordId]);
  assert.deepEqual(
    records.map((r) => r && [r.id, r.amount, r.wallet_posted]),
    [[t2.cashCollectionRecordId, 350n, 0n], undefined, [t1.cashCollectionRecordId, 125n, 0n]],
  );
});

test('top-ups and confirms arriving together: each its own answer, unknown ones refused, every balance exact', async () => {
  const ctx = await buildTestApp();
  const admin = bearer(ctx.adminToken);
  const me = await ctx.ok('GET', '/auth/me', admin);
  const point = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Punto simultáneo' })).data;
  const drivers = await Promise.all([1, 2, 3, 4].map(async (i) => (await ctx.ok('POST', '/drivers', admin, { nombre: `Simultáneo ${i}` })).data));
  const body = (amount: string) => ({ collectionPointId: point.id, collectedByUserId: me.id, amount });

  const created = await Promise.all([
    ...drivers.map((d, i) => ctx.call('POST', `/drivers-balance/${d.id}/topups`, admin, body(`${i + 1}.00`))),
    ctx.call('POST', `/drivers-balance/${randomUUID()}/topups`, admin, body('9.00')),
  ]);
  assert.deepEqual(created.map((r) => r.statusCode), [201, 201, 201, 201, 404]);
  const records = created.slice(0, 4).map((r) => r.json().data);
  records.forEach((r, i) => {
    assert.equal(r.driverId, drivers[i].id);
    assert.equal(r.amount, `${i + 1}.00`);
  });

  const confirmed = await Promise.all([
    ...records.map((r) => ctx.call('POST', `/drivers-balance/topups/${r.cashCollectionRecordId}/confirm`, admin, {})),
    ctx.call('POST', `/drivers-balance/topups/${randomUUID()}/confirm`, admin, {}),
  ]);
  assert.deepEqual(confirmed.map((r) => r.statusCode), [200, 200, 200, 200, 404]);
  confirmed.slice(0, 4).forEach((r, i) => {
    assert.equal(r.json().data.cashCollectionRecordId, records[i].cashCollectionRecordId);
    assert.equal(r.json().data.newBalance, `${i + 1}.00`);
  });
  for (const [i, d] of drivers.entries()) {
    assert.equal((await ctx.ok('GET', `/drivers-balance/${d.id}`, admin)).data.currentWalletBalance, `${i + 1}.00`);
  }
});
