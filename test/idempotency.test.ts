import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { inTransaction } from '../src/db/transaction.js';
import { DomainError, ReplayedResponse } from '../src/core/errors.js';
import { runIdempotent, type Idempotency } from '../src/core/idempotency.js';
import { InsufficientFundsError, accountBalance, createAccount, postTransfer, worldAccount } from '../src/ledger/ledger.js';
import { testDatabase } from './helper.js';

const database = await testDatabase();
const db = database.db;
after(() => database.close());

const world = await inTransaction(db, (trx) => worldAccount(trx, 'BOB'));
let n = 0;
const newAccount = () => inTransaction(db, (trx) => createAccount(trx, { code: `idem:${++n}`, kind: 'CAJA', currency: 'BOB', floor: 0n }));

function scope(key: string, requestHash = 'body-1', userId = '00000000-0000-4000-8000-000000000001'): Idempotency<bigint> {
  return { userId, method: 'POST', path: '/x', key, requestHash, family: 'pos', status: 201, render: (id) => ({ transfer: String(id) }) };
}

// The money operation under test: move 1.00 out of `from`, refused at its floor.
const pay = (from: bigint) => async (trx: Parameters<Parameters<typeof inTransaction>[1]>[0]) => {
  try {
    return (await postTransfer(trx, { debit: from, credit: world, amount: 100n, kind: 'TEST' })).id;
  } catch (err) {
    if (err instanceof InsufficientFundsError) throw new DomainError(409, 'INSUFFICIENT', 'not enough');
    throw err;
  }
};

async function replayOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    if (err instanceof ReplayedResponse) return err;
    throw err;
  }
  assert.fail('expected a replay');
}

test('same key and body: one effect, the first response replayed', async () => {
  const acct = await newAccount();
  await inTransaction(db, (trx) => postTransfer(trx, { debit: world, credit: acct, amount: 1_000n, kind: 'TEST' }));
  const key = randomUUID();
  const id = await runIdempotent(db, scope(key), pay(acct));
  const replay = await replayOf(runIdempotent(db, scope(key), pay(acct)));
  assert.equal(replay.status, 201);
  assert.deepEqual(JSON.parse(replay.body), { transfer: String(id) });
  assert.equal((await accountBalance(db, acct)).posted, 900n);
  // Another user, or another key: a new operation.
  await runIdempotent(db, scope(key, 'body-1', '00000000-0000-4000-8000-000000000002'), pay(acct));
  assert.equal((await accountBalance(db, acct)).posted, 800n);
});

test('same key, different body → 422 and no effect', async () => {
  const acct = await newAccount();
  await inTransaction(db, (trx) => postTransfer(trx, { debit: world, credit: acct, amount: 1_000n, kind: 'TEST' }));
  const key = randomUUID();
  await runIdempotent(db, scope(key), pay(acct));
  await assert.rejects(runIdempotent(db, scope(key, 'body-2'), pay(acct)), (e) => e instanceof DomainError && e.status === 422);
  assert.equal((await accountBalance(db, acct)).posted, 900n);
});

test('a refusal is a completed response: stored, replayed, its partial effects undone', async () => {
  const acct = await newAccount();
  const key = randomUUID();
  await assert.rejects(runIdempotent(db, scope(key), pay(acct)), (e) => e instanceof DomainError && e.status === 409);
  // Funds arrive; the retry still gets the first answer.
  await inTransaction(db, (trx) => postTransfer(trx, { debit: world, credit: acct, amount: 1_000n, kind: 'TEST' }));
  const replay = await replayOf(runIdempotent(db, scope(key), pay(acct)));
  assert.equal(replay.status, 409);
  assert.deepEqual(JSON.parse(replay.body), { statusCode: 409, message: 'not enough', error: 'Conflict', code: 'INSUFFICIENT' });
  assert.equal((await accountBalance(db, acct)).posted, 1_000n);
});

test('a crash (unexpected error) stores nothing: the retry runs again', async () => {
  const acct = await newAccount();
  await inTransaction(db, (trx) => postTransfer(trx, { debit: world, credit: acct, amount: 1_000n, kind: 'TEST' }));
  const key = randomUUID();
  await assert.rejects(
    runIdempotent(db, scope(key), async (trx) => {
      await pay(acct)(trx);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal((await accountBalance(db, acct)).posted, 1_000n);
  await runIdempotent(db, scope(key), pay(acct));
  assert.equal((await accountBalance(db, acct)).posted, 900n);
});

test('the same key sent 20 times in parallel has exactly one effect', async () => {
  const acct = await newAccount();
  await inTransaction(db, (trx) => postTransfer(trx, { debit: world, credit: acct, amount: 10_000n, kind: 'TEST' }));
  const key = randomUUID();
  const slowPay = async (trx: Parameters<ReturnType<typeof pay>>[0]) => {
    const id = await pay(acct)(trx);
    await new Promise((r) => setTimeout(r, 20));
    return id;
  };
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => runIdempotent(db, scope(key), slowPay)));
  const done = results.filter((r) => r.status === 'fulfilled').length;
  const inFlight = results.filter((r) => r.status === 'rejected' && r.reason instanceof DomainError && r.reason.status === 409).length;
  const replayed = results.filter((r) => r.status === 'rejected' && r.reason instanceof ReplayedResponse).length;
  assert.equal(done, 1);
  assert.equal(done + inFlight + replayed, 20);
  assert.equal((await accountBalance(db, acct)).posted, 9_900n);
});
