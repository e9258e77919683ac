import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import type { Tx } from '../src/db/transaction.js';
import { groupCommit, type Outcome } from '../src/ledger/group-commit.js';
import { testDatabase } from './helper.js';

const database = await testDatabase();
const db = database.db;
after(() => database.close());
await sql`create table gc_rows (id text, constraint gc_rows_once unique (id) deferrable initially deferred)`.execute(db);

const batches: string[][] = [];
async function processBatch(trx: Tx, jobs: string[]): Promise<Outcome<string>[]> {
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
const rows = async () => (await sql<{ id: string }>`select id from gc_rows order by id`.execute(db)).rows.map((r) => r.id);

test('jobs queued behind a running batch share the next one; refusals stay per job', async () => {
  batches.length = 0;
  const gc = groupCommit({ db, processBatch });
  const results = await Promise.allSettled(['a1', 'a2', 'refuse', 'a3'].map((j) => gc.submit(j)));
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
  const results = await Promise.allSettled(['c0', 'c-dup', 'c-dup', 'c1'].map((j) => gc.submit(j)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'rejected']);
  assert.deepEqual(batches, [['c0'], ['c-dup', 'c-dup', 'c1']], 'no job was run a second time');
  assert.deepEqual((await rows()).filter((r) => r.startsWith('c')), ['c0']);
});
