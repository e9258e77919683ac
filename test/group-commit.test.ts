import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import type { Db } from '../src/db/transaction.js';
import { groupCommit, type Outcome } from '../src/ledger/group-commit.js';
import { testDatabase } from './helper.js';

const database = await testDatabase();
const db = database.db;
after(() => database.close());
await sql`create table gc_rows (id text, constraint gc_rows_once unique (id) deferrable initially deferred)`.execute(db);

const batches: string[][] = [];
async function processBatch(trx: Db, jobs: string[]): Promise<Outcome<string>[]> {
  batches.push(jobs);
  if (jobs.includes('boom') && jobs.length > 1) throw new Error('statement failed');
  const out: Outcome<string>[] = [];
  for (const job of jobs) {
    if (job === 'refuse') {
      out.push({ ok: false, error: new Error('refused') });
      continue;
    }
    if (job === 'boom') throw new Error('statement failed');
    await sql`insert into gc_rows (id) values (${job})`.execute(trx);
    out.push({ ok: true, value: job });
  }
  return out;
}
/** The first job, then, once its batch has started, the others: they queue behind it. */
async function firstThenRest(gc: { submit(j: string): Promise<string> }, jobs: string[]) {
  const first = gc.submit(jobs[0]!);
  await new Promise((r) => setImmediate(r));
  return Promise.allSettled([first, ...jobs.slice(1).map((j) => gc.submit(j))]);
}
const rows = async () => (await sql<{ id: string }>`select id from gc_rows order by id`.execute(db)).rows.map((r) => r.id);

test('jobs queued behind a running batch share the next one; refusals stay per job', async () => {
  batches.length = 0;
  const gc = groupCommit({ db, processBatch });
  const results = await firstThenRest(gc, ['a1', 'a2', 'refuse', 'a3']);
  assert.deepEqual(batches, [['a1'], ['a2', 'refuse', 'a3']]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(await rows(), ['a1', 'a2', 'a3']);
});

test('a failed statement reruns each job alone: one bad job does not fail its neighbours', async () => {
  batches.length = 0;
  const gc = groupCommit({ db, processBatch });
  const results = await Promise.allSettled(['b1', 'b2', 'boom', 'b3'].map((j) => gc.submit(j)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual((await rows()).filter((r) => r.startsWith('b')), ['b1', 'b2', 'b3']);
});

test('a failed COMMIT fails the batch and runs nothing again (its outcome is unknown)', async () => {
  batches.length = 0;
  const gc = groupCommit({ db, processBatch });
  // c-dup twice in one batch violates the deferred constraint at COMMIT.
  const results = await firstThenRest(gc, ['c0', 'c-dup', 'c-dup', 'c1']);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'rejected']);
  assert.deepEqual(batches, [['c0'], ['c-dup', 'c-dup', 'c1']], 'no job was run a second time');
  assert.deepEqual((await rows()).filter((r) => r.startsWith('c')), ['c0']);
});

// A batch that is one statement runs without BEGIN/COMMIT (singleStatement).
async function oneStatement(q: Db, jobs: string[]): Promise<Outcome<string>[]> {
  batches.push(jobs);
  // 'boom' makes the server refuse the statement (division by zero): nothing is written.
  await sql`insert into gc_rows (id) select j from unnest(${jobs}::text[]) j where 1 / ${jobs.includes('boom') ? 0 : 1}::integer = 1`.execute(q);
  // 'lost' stands for a connection lost after the server committed: the outcome is unknown here.
  if (jobs.includes('lost')) throw new Error('Connection terminated unexpectedly');
  return jobs.map((value) => ({ ok: true, value }));
}

test('a one-statement batch: a statement the server refuses wrote nothing, so each job runs again alone', async () => {
  batches.length = 0;
  const gc = groupCommit({ db, processBatch: oneStatement, singleStatement: true });
  const results = await firstThenRest(gc, ['d0', 'd1', 'boom', 'd2']);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(batches.slice(0, 2), [['d0'], ['d1', 'boom', 'd2']]);
  // The reruns go in parallel, each in a transaction of its own.
  assert.deepEqual(batches.slice(2).map(String).sort(), ['boom', 'd1', 'd2']);
  assert.deepEqual((await rows()).filter((r) => r.startsWith('d')), ['d0', 'd1', 'd2']);
});

test('a one-statement batch whose answer was lost fails whole and runs nothing again', async () => {
  batches.length = 0;
  const gc = groupCommit({ db, processBatch: oneStatement, singleStatement: true });
  const results = await firstThenRest(gc, ['e0', 'e1', 'lost']);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected']);
  assert.deepEqual(batches, [['e0'], ['e1', 'lost']], 'no job was run a second time');
  // It had committed: a client retry with its Idempotency-Key would find it.
  assert.deepEqual((await rows()).filter((r) => r.startsWith('e') || r === 'lost'), ['e0', 'e1', 'lost']);
});

test('a one-statement batch of one job that hits a deadlock runs again (in a transaction) instead of failing', async () => {
  batches.length = 0;
  let calls = 0;
  const flaky = async (q: Db, jobs: string[]): Promise<Outcome<string>[]> => {
    if (calls++ === 0) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
    return oneStatement(q, jobs);
  };
  const gc = groupCommit({ db, processBatch: flaky, singleStatement: true });
  assert.equal(await gc.submit('f0'), 'f0');
  assert.equal(calls, 2);
  assert.deepEqual((await rows()).filter((r) => r.startsWith('f')), ['f0']);
});

test('abortQueued fails the jobs waiting for a batch, writes none of them, and lets the running batch finish; onBatch sees each batch', async () => {
  batches.length = 0;
  const seen: Array<{ size: number; waits: number }> = [];
  const gc = groupCommit({ db, processBatch, onBatch: (size, waited) => seen.push({ size, waits: waited.length }) });
  const running = gc.submit('s1');
  await new Promise((r) => setImmediate(r));
  const queued = Promise.allSettled(['s2', 's3'].map((j) => gc.submit(j)));
  gc.abortQueued(new Error('shutting down'));
  assert.equal(await running, 's1');
  const results = await queued;
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  assert.deepEqual(batches, [['s1']]);
  assert.deepEqual((await rows()).filter((r) => r.startsWith('s')), ['s1']);
  assert.deepEqual(seen, [{ size: 1, waits: 1 }]);
});

test('jobs submitted in one turn of the event loop share one batch (the embedded engine runs statements on this thread)', async () => {
  batches.length = 0;
  const gc = groupCommit({ db, processBatch });
  const results = await Promise.allSettled(['g1', 'g2', 'g3'].map((j) => gc.submit(j)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled']);
  assert.deepEqual(batches, [['g1', 'g2', 'g3']]);
});
