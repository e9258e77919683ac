import { inTransaction, type Db, type Tx } from '../db/transaction.js';

// Group commit for hot paths. Requests that arrive while a batch is being
// written wait in a queue and go into the next batch: one transaction, a
// handful of set-based statements and one commit (one fsync) for all of them,
// instead of one serialized transaction each behind the same hot rows.
//
// The batch processor decides every job in memory under the row locks it
// took, so a refused job (a 4xx) writes nothing and never disturbs the others.
// If the batch as a whole fails (an unexpected database error), each job is
// run again on its own, so one bad job cannot fail its neighbours.

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface GroupCommitOptions<J, R> {
  db: Db;
  /** Decides and writes a whole batch in one transaction; one outcome per job, in order. */
  processBatch: (trx: Tx, jobs: J[]) => Promise<Outcome<R>[]>;
  maxBatch?: number;
}

export function groupCommit<J, R>({ db, processBatch, maxBatch = 256 }: GroupCommitOptions<J, R>) {
  type Entry = { job: J; resolve: (r: R) => void; reject: (e: unknown) => void };
  const queue: Entry[] = [];
  let draining = false;

  const settle = (entry: Entry, outcome: Outcome<R>) => (outcome.ok ? entry.resolve(outcome.value) : entry.reject(outcome.error));

  async function runAlone(entry: Entry) {
    try {
      const [outcome] = await inTransaction(db, (trx) => processBatch(trx, [entry.job]));
      settle(entry, outcome!);
    } catch (err) {
      entry.reject(err);
    }
  }

  async function runBatch(batch: Entry[]) {
    let outcomes: Outcome<R>[];
    try {
      outcomes = await inTransaction(db, (trx) => processBatch(trx, batch.map((e) => e.job)));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // Isolate the failure: every job gets its own transaction.
      await Promise.all(batch.map(runAlone));
      return;
    }
    batch.forEach((entry, i) => settle(entry, outcomes[i]!));
  }

  async function drain() {
    draining = true;
    try {
      while (queue.length > 0) await runBatch(queue.splice(0, maxBatch));
    } finally {
      draining = false;
    }
  }

  return {
    submit(job: J): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ job, resolve, reject });
        if (!draining) void drain();
      });
    },
    get pending() {
      return queue.length;
    },
  };
}
