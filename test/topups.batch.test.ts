import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sql } from 'kysely';
import { inTransaction, type Db } from '../src/db/transaction.js';
import { createAccount, StaleBalanceError, TransferRefusedError } from '../src/ledger/ledger.js';
import { topupWriters, type CreateJob } from '../src/wallets/topups.writes.js';
import { topupContexts, topupsToConfirm } from '../src/wallets/wallets.queries.js';
import { bearer, buildTestApp, type TestContext } from './helper.js';

// Wallet writes that arrive together share one statement (issue 19):
// each request still gets its own answer, a refused one writes nothing and
// does not refuse the others, and two confirms of one wallet are never
// decided on the same balance.

/** The transactions that wrote these records (rows written by one statement share one). */
async function writers(db: Db, ids: string[]): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(distinct xmin::text)::text as n from cash_collection_records where id = any(${ids}::uuid[])`.execute(db);
  return Number(rows[0]!.n);
}

async function setup(drivers: number) {
  const ctx = await buildTestApp();
  const admin = bearer(ctx.adminToken);
  const me = await ctx.ok('GET', '/auth/me', admin);
  const point = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Punto lote' })).data;
  const ds = await Promise.all(Array.from({ length: drivers }, async (_, i) => (await ctx.ok('POST', '/drivers', admin, { nombre: `Lote ${i}` })).data));
  const topup = (d: { id: string }, amount: string) =>
    ctx.call('POST', `/drivers-balance/${d.id}/topups`, admin, { collectionPointId: point.id, collectedByUserId: me.id, amount });
  return { ctx, admin, me, point, drivers: ds, topup };
}

const balance = async (ctx: TestContext, admin: Record<string, string>, driverId: string) =>
  (await ctx.ok('GET', `/drivers-balance/${driverId}`, admin)).data.currentWalletBalance;

test('confirms arriving together, three of them into one wallet: one statement for what it can decide, every balance and movement exact', async () => {
  const { ctx, admin, drivers, topup } = await setup(2);
  const [a, b] = drivers;
  const created = await Promise.all([topup(a, '1.00'), topup(a, '2.00'), topup(a, '4.00'), topup(b, '8.00')]);
  assert.deepEqual(created.map((r) => r.statusCode), [201, 201, 201, 201]);
  const ids: string[] = created.map((r) => r.json().data.cashCollectionRecordId);
  assert.equal(await writers(ctx.database.db, ids), 1, 'the four top-ups were written by one statement');

  const confirmed = await Promise.all(ids.map((id) => ctx.call('POST', `/drivers-balance/topups/${id}/confirm`, admin, {})));
  assert.deepEqual(confirmed.map((r) => r.statusCode), [200, 200, 200, 200]);
  assert.equal(await balance(ctx, admin, a.id), '7.00');
  assert.equal(await balance(ctx, admin, b.id), '8.00');
  // A's three confirms went one per batch (each names the balance before it): they chain.
  const chain = confirmed.slice(0, 3).map((r) => [r.json().data.previousBalance, r.json().data.newBalance]);
  chain.sort((x, y) => Number(x[0]) - Number(y[0]));
  assert.equal(chain[0]![0], '0.00');
  for (let i = 1; i < chain.length; i++) assert.equal(chain[i]![0], chain[i - 1]![1]);
  assert.equal(chain.at(-1)![1], '7.00');
  const movements: Array<{ previousBalance: string; newBalance: string }> = (await ctx.ok('GET', `/drivers-balance/${a.walletId}/movements?limit=10`, admin)).data;
  assert.deepEqual(
    movements.map((m) => [m.previousBalance, m.newBalance]).sort((x, y) => Number(x[0]) - Number(y[0])),
    chain,
  );
  assert.ok(await writers(ctx.database.db, ids) < 4, 'some confirms shared a statement');
  assert.equal((await ctx.ok('GET', '/ledger/verify', admin)).ok, true);
});

test('a refused job writes nothing and the others of its batch are written', async () => {
  const { ctx, me, point, drivers, topup } = await setup(3);
  const db = ctx.database.db;
  const writes = topupWriters(db);

  // Confirms: the second was read before its wallet changed (a stale balance), the third names a wallet already in the batch.
  const created = await Promise.all(drivers.map((d) => topup(d, '5.00')));
  const extra = await topup(drivers[0], '1.00');
  const ids = [...created.map((r) => r.json().data.cashCollectionRecordId as string), extra.json().data.cashCollectionRecordId as string];
  const records = (await topupsToConfirm(db, ids)).map((r) => r!);
  records[1] = { ...records[1]!, wallet_posted: 300n };
  const outcomes = await Promise.allSettled(records.map((record) => writes.confirm(db, { actorId: me.id, record, comment: 'lote' })));
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected']);
  assert.ok((outcomes[1] as PromiseRejectedResult).reason instanceof StaleBalanceError);
  assert.ok((outcomes[3] as PromiseRejectedResult).reason instanceof StaleBalanceError);
  const statuses = await db.selectFrom('cash_collection_records').select(['id', 'status']).where('id', 'in', ids).execute();
  assert.deepEqual(
    ids.map((id) => statuses.find((s) => s.id === id)!.status),
    ['completed', 'pending', 'completed', 'pending'],
  );

  // Creates: one whose point account is in another currency is refused by the ledger; the others are written together.
  const usd = await inTransaction(db, (trx) => createAccount(trx, { code: 'test:usd', kind: 'COLLECTION_POINT', currency: 'USD', floor: null }));
  const contexts = await topupContexts(
    db,
    drivers.map((d) => ({ driverId: d.id, pointId: point.id, collectorId: me.id })),
  );
  const jobs: CreateJob[] = contexts.map((c, i) => ({
    row: {
      id: randomUUID(),
      driver_id: drivers[i].id,
      wallet_id: c.wallet_id!,
      transaction_id: randomUUID(),
      collection_point_id: point.id,
      collected_by_user_id: me.id,
      amount: 100n,
      currency: c.currency!,
      notes: null,
      description: null,
      metadata: null,
      created_by_user_id: me.id,
      created_at: c.now,
    },
    debit: i === 1 ? usd : c.point_account!,
    credit: c.wallet_account!,
    staff: [],
  }));
  const made = await Promise.allSettled(jobs.map((j) => writes.create(db, j)));
  assert.deepEqual(made.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.ok((made[1] as PromiseRejectedResult).reason instanceof TransferRefusedError);
  const stored = await db.selectFrom('cash_collection_records').select('id').where('id', 'in', jobs.map((j) => j.row.id)).execute();
  assert.deepEqual(stored.map((s) => s.id).sort(), [jobs[0]!.row.id, jobs[2]!.row.id].sort());
  const transactions = await db.selectFrom('wallet_transactions').select('id').where('id', 'in', jobs.map((j) => j.row.transaction_id)).execute();
  assert.equal(transactions.length, 2);
});
