import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { inTransaction } from '../src/db/transaction.js';
import {
  GuardRefusedError,
  InsufficientFundsError,
  PendingAlreadyResolvedError,
  StaleBalanceError,
  TransferRefusedError,
  accountBalance,
  createAccount,
  createPendingTransfer,
  createPendingTransfers,
  postPendingTransfer,
  postPendingTransfers,
  postTransfer,
  postTransfers,
  voidPendingTransfer,
  worldAccount,
} from '../src/ledger/ledger.js';
import { ledgerChecks, runVerify } from '../src/ledger/verify.js';
import { testDatabase } from './helper.js';

const database = await testDatabase();
const db = database.db;
after(() => database.close());

let n = 0;
async function account(floor: bigint | null = 0n, currency = 'BOB') {
  return inTransaction(db, (trx) => createAccount(trx, { code: `test:${++n}`, kind: 'CAJA', currency, floor }));
}
async function fund(id: bigint, amount: bigint) {
  return inTransaction(db, async (trx) => postTransfer(trx, { debit: await worldAccount(trx, 'BOB'), credit: id, amount, kind: 'TEST' }));
}
const posted = async (id: bigint) => (await accountBalance(db, id)).posted;

test('a transfer moves money between two accounts and sums stay zero', async () => {
  const a = await account();
  const b = await account();
  const { balances } = await fund(a, 10_000n);
  assert.equal(balances.get(a), 10_000n);
  const t = await inTransaction(db, (trx) => postTransfer(trx, { debit: a, credit: b, amount: 2_550n, kind: 'TEST', refType: 'x', refId: 1 }));
  assert.equal(t.balances.get(a), 7_450n);
  assert.equal(t.balances.get(b), 2_550n);
  assert.equal((await runVerify(db, ledgerChecks)).ok, true);
});

test('the floor refuses an overdraft and nothing changes', async () => {
  const a = await account();
  const b = await account();
  await fund(a, 500n);
  await assert.rejects(
    inTransaction(db, (trx) => postTransfer(trx, { debit: a, credit: b, amount: 501n, kind: 'TEST' })),
    (err) => err instanceof InsufficientFundsError && err.accountId === a,
  );
  assert.equal(await posted(a), 500n);
  assert.equal(await posted(b), 0n);
  // A negative floor is an overdraft limit.
  const wallet = await account(-1_000n);
  await inTransaction(db, (trx) => postTransfer(trx, { debit: wallet, credit: b, amount: 1_000n, kind: 'TEST' }));
  assert.equal(await posted(wallet), -1_000n);
  await assert.rejects(inTransaction(db, (trx) => postTransfer(trx, { debit: wallet, credit: b, amount: 1n, kind: 'TEST' })), InsufficientFundsError);
});

test('a batch is all or nothing', async () => {
  const a = await account();
  const b = await account();
  const c = await account();
  await fund(a, 1_000n);
  const ok = await inTransaction(db, (trx) =>
    postTransfers(trx, [
      { debit: a, credit: b, amount: 600n, kind: 'TEST' },
      { debit: b, credit: c, amount: 100n, kind: 'TEST' },
    ]),
  );
  assert.equal(ok.ids.length, 2);
  assert.deepEqual([await posted(a), await posted(b), await posted(c)], [400n, 500n, 100n]);
  await assert.rejects(
    inTransaction(db, (trx) =>
      postTransfers(trx, [
        { debit: a, credit: c, amount: 400n, kind: 'TEST' },
        { debit: b, credit: c, amount: 501n, kind: 'TEST' },
      ]),
    ),
    InsufficientFundsError,
  );
  assert.deepEqual([await posted(a), await posted(b), await posted(c)], [400n, 500n, 100n]);
});

test('two-phase: pending reserves, post moves once, void releases', async () => {
  const point = await account(null);
  const wallet = await account(0n);
  const p1 = await inTransaction(db, (trx) => createPendingTransfer(trx, { debit: point, credit: wallet, amount: 15_000n, kind: 'CASH_TOPUP' }));
  let w = await accountBalance(db, wallet);
  assert.equal(w.posted, 0n);
  assert.equal(w.pending_credits, 15_000n);
  const posted1 = await inTransaction(db, (trx) => postPendingTransfer(trx, p1, { kind: 'CASH_TOPUP_POST' }));
  assert.equal(posted1.balances.get(wallet), 15_000n);
  await assert.rejects(inTransaction(db, (trx) => postPendingTransfer(trx, p1, { kind: 'CASH_TOPUP_POST' })), PendingAlreadyResolvedError);
  await assert.rejects(inTransaction(db, (trx) => voidPendingTransfer(trx, p1, { kind: 'CASH_TOPUP_VOID' })), PendingAlreadyResolvedError);
  const p2 = await inTransaction(db, (trx) => createPendingTransfer(trx, { debit: point, credit: wallet, amount: 700n, kind: 'CASH_TOPUP' }));
  await inTransaction(db, (trx) => voidPendingTransfer(trx, p2, { kind: 'CASH_TOPUP_VOID' }));
  w = await accountBalance(db, wallet);
  assert.equal(w.posted, 15_000n);
  assert.equal(w.pending_credits, 0n);
  assert.equal(await posted(point), -15_000n);
  // A transfer that is not a pending one (p1's completion, or no transfer at all) resolves nothing.
  const completion = (await sql<{ id: bigint }>`select id from ledger_transfers where pending_id = ${p1}`.execute(db)).rows[0]!.id;
  for (const id of [completion, 999_999_999n]) {
    await assert.rejects(
      inTransaction(db, (trx) => voidPendingTransfer(trx, id, { kind: 'CASH_TOPUP_VOID' })),
      (err) => err instanceof TransferRefusedError && err.message === `transfer ${id} is not a pending transfer`,
    );
  }
  assert.deepEqual(await accountBalance(db, wallet), w);
  assert.equal((await runVerify(db, ledgerChecks)).ok, true);
});

test('pending transfers created and posted several at once, all or none', async () => {
  const point = await account(null);
  const w1 = await account();
  const w2 = await account();
  const [p1, p2, p3] = await createPendingTransfers(db, [
    { debit: point, credit: w1, amount: 100n, kind: 'CASH_TOPUP', refId: 'a' },
    { debit: point, credit: w2, amount: 200n, kind: 'CASH_TOPUP', refId: 'b' },
    { debit: point, credit: w1, amount: 400n, kind: 'CASH_TOPUP', refId: 'c' },
  ]);
  assert.equal((await accountBalance(db, point)).pending_debits, 700n);
  assert.equal((await accountBalance(db, w1)).pending_credits, 500n);

  // One of them not pending (p1's completion comes later): none is posted.
  const { ids } = await postPendingTransfers(db, [{ pendingId: p1! }, { pendingId: p3! }], 'CASH_TOPUP_POST');
  assert.equal(ids.length, 2);
  const completion = (await sql<{ id: bigint }>`select id from ledger_transfers where pending_id = ${p1!}`.execute(db)).rows[0]!.id;
  const before = await Promise.all([point, w1, w2].map((id) => accountBalance(db, id)));
  await assert.rejects(postPendingTransfers(db, [{ pendingId: p2! }, { pendingId: completion }], 'CASH_TOPUP_POST'), TransferRefusedError);
  // One of them already posted: the unique index refuses the statement whole.
  await assert.rejects(postPendingTransfers(db, [{ pendingId: p2! }, { pendingId: p1! }], 'CASH_TOPUP_POST'), PendingAlreadyResolvedError);
  assert.deepEqual(await Promise.all([point, w1, w2].map((id) => accountBalance(db, id))), before);
  assert.deepEqual(
    [(await accountBalance(db, w1)).posted, (await accountBalance(db, w1)).pending_credits, (await accountBalance(db, w2)).pending_credits],
    [500n, 0n, 200n],
  );
  assert.equal((await runVerify(db, ledgerChecks)).ok, true);
});

test('one statement with no transaction around it: a refusal leaves every account as it was', async () => {
  const a = await account();
  const b = await account();
  const c = await account();
  await fund(a, 1_000n);
  // b's floor refuses after a's change would have been applied: neither is.
  await assert.rejects(
    postTransfers(db, [
      { debit: a, credit: c, amount: 300n, kind: 'TEST' },
      { debit: b, credit: c, amount: 1n, kind: 'TEST' },
    ]),
    (err) => err instanceof InsufficientFundsError && err.accountId === b,
  );
  assert.deepEqual([await posted(a), await posted(b), await posted(c)], [1_000n, 0n, 0n]);
  assert.equal((await runVerify(db, ledgerChecks)).ok, true);
});

test('composed statements: a guard, expected balances, and rows written only with the transfer', async () => {
  const point = await account(null);
  const wallet = await account(0n);
  await sql`create table if not exists composed_log (transfer_id bigint, note text)`.execute(db);
  const then = sql`log as (insert into composed_log (transfer_id, note) select id, 'written' from ledger_ins)`;
  const logged = async () => (await sql<{ n: string }>`select count(*)::text as n from composed_log`.execute(db)).rows[0]!.n;
  const p = await createPendingTransfer(db, { debit: point, credit: wallet, amount: 500n, kind: 'CASH_TOPUP' }, { then });
  assert.equal(await logged(), '1');

  // A guard with no row: nothing moves, nothing is logged.
  const none = sql`guard as (select 1 as x where false)`;
  await assert.rejects(postPendingTransfer(db, p, { kind: 'POST' }, { guard: none, then }), GuardRefusedError);
  // A balance that is not the one expected: the same.
  await assert.rejects(postPendingTransfer(db, p, { kind: 'POST' }, { expect: new Map([[wallet, 7n]]), then }), (err) => err instanceof StaleBalanceError && err.accountId === wallet);
  assert.equal(await posted(wallet), 0n);
  assert.equal((await accountBalance(db, wallet)).pending_credits, 500n);
  assert.equal(await logged(), '1');

  const some = sql`guard as (select 1 as x)`;
  const done = await postPendingTransfer(db, p, { kind: 'POST' }, { guard: some, expect: new Map([[wallet, 0n]]), then });
  assert.equal(done.balances.get(wallet), 500n);
  assert.equal(await logged(), '2');
  await assert.rejects(postPendingTransfer(db, p, { kind: 'POST' }, { then }), PendingAlreadyResolvedError);
  assert.equal(await logged(), '2');
  assert.equal((await runVerify(db, ledgerChecks)).ok, true);
});

test('transfers are immutable, constraints back the rules', async () => {
  const a = await account();
  const b = await account();
  await fund(a, 100n);
  await assert.rejects(sql`update ledger_transfers set amount = amount + 1`.execute(db), /immutable/);
  await assert.rejects(sql`delete from ledger_transfers`.execute(db), /immutable/);
  await assert.rejects(sql`insert into ledger_transfers (debit_account_id, credit_account_id, amount, phase, kind) values (${a}, ${b}, 0, 'SINGLE', 'X')`.execute(db));
  await assert.rejects(sql`insert into ledger_transfers (debit_account_id, credit_account_id, amount, phase, kind) values (${a}, ${a}, 5, 'SINGLE', 'X')`.execute(db));
  await assert.rejects(sql`update ledger_accounts set posted = -1 where id = ${a}`.execute(db), /ledger_accounts_floor/);
});

test('verify detects a balance tampered with in SQL', async () => {
  const a = await account(null);
  await fund(a, 1_000n);
  assert.equal((await runVerify(db, ledgerChecks)).ok, true);
  await sql`update ledger_accounts set posted = posted + 1 where id = ${a}`.execute(db);
  const report = await runVerify(db, ledgerChecks);
  assert.equal(report.ok, false);
  const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
  assert.deepEqual(failed.sort(), ['cached_balances_match_transfers', 'debits_equal_credits']);
  await sql`update ledger_accounts set posted = posted - 1 where id = ${a}`.execute(db);
  assert.equal((await runVerify(db, ledgerChecks)).ok, true);
});

test('50 concurrent transfers against one account never break its floor', async () => {
  const hot = await account();
  const sinks = await Promise.all(Array.from({ length: 5 }, () => account()));
  await fund(hot, 10_000n);
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) =>
      inTransaction(db, (trx) => postTransfer(trx, { debit: hot, credit: sinks[i % 5]!, amount: 500n, kind: 'TEST' })),
    ),
  );
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof InsufficientFundsError).length;
  assert.equal(ok, 20);
  assert.equal(refused, 30);
  assert.equal(await posted(hot), 0n);
  let sum = 0n;
  for (const s of sinks) sum += await posted(s);
  assert.equal(sum, 10_000n);
  assert.equal((await runVerify(db, ledgerChecks)).ok, true);
});

test('concurrent opposite transfers between two accounts do not deadlock', async () => {
  const a = await account();
  const b = await account();
  await fund(a, 100_000n);
  await fund(b, 100_000n);
  await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      inTransaction(db, (trx) => postTransfer(trx, i % 2 ? { debit: a, credit: b, amount: 10n, kind: 'T' } : { debit: b, credit: a, amount: 10n, kind: 'T' })),
    ),
  );
  assert.equal((await posted(a)) + (await posted(b)), 200_000n);
});

test('a pending transfer posted 10 times concurrently credits once', async () => {
  const point = await account(null);
  const wallet = await account(0n);
  const p = await inTransaction(db, (trx) => createPendingTransfer(trx, { debit: point, credit: wallet, amount: 1_234n, kind: 'CASH_TOPUP' }));
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, () => inTransaction(db, (trx) => postPendingTransfer(trx, p, { kind: 'POST' }))),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof PendingAlreadyResolvedError));
  assert.equal(await posted(wallet), 1_234n);
});
