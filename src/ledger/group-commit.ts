import { inTransaction, type Db } from '../db/transaction.js';

// Group commit for hot paths. Requests that arrive while a batch is being
// written wait in a queue and go into the next batch: one transaction (or one
// statement, see singleStatement) and one commit, one fsync, for all of them,
// instead of one serialized transaction each behind the same hot rows.
//
// The batch processor decides every job under the row locks it took, so a
// refused job (a 4xx) writes nothing and never disturbs the others. If a
// statement of the batch fails (an unexpected database error), each job is
// run again on its own, so one bad job cannot fail its neighbours; if the
// COMMIT fails, nothing is run again (see runBatch).

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface GroupCommitOptions<J, R> {
  db: Db;
  /** Decides and writes a whole batch in one transaction (or one statement, below); one outcome per job, in order. */
  processBatch: (q: Db, jobs: J[]) => Promise<Outcome<R>[]>;
  /**
   * processBatch is a single statement: it then runs with no BEGIN or COMMIT
   * around it. PostgreSQL makes the statement its own transaction, so a batch
   * costs one round trip and holds its locks for that statement and its
   * commit only. (A job run again alone still gets a transaction.)
   */
  singleStatement?: boolean;
  maxBatch?: number;
  /** Told of each batch as it starts: its size and how long each job waited for it (metrics). */
  onBatch?: (size: number, waitedMs: number[]) => void;
}

/**
 * Whether the server answered the statement with an error. Then it undid the
 * statement's implicit transaction, and running it again cannot write twice;
 * a lost connection (no SQLSTATE) leaves that unknown.
 */
const refusedByServer = (err: unknown) =>
  typeof err === 'object' && err !== null && /^[0-9A-Z]{5}$/.test(String((err as { code?: unknown }).code ?? ''));

export function groupCommit<J, R>({ db, processBatch, singleStatement = false, maxBatch = 256, onBatch }: GroupCommitOptions<J, R>) {
  type Entry = { job: J; resolve: (r: R) => void; reject: (e: unknown) => void; at: number };
  const queue: Entry[] = [];
  // One batch decides at a time. In a transaction, as soon as it has written
  // and sends its COMMIT, the next one starts: its first statement then waits
  // on the hot rows' locks, so the commit's fsync overlaps the next batch's
  // work, and the row locks still put the batches in order.
  let deciding = false;

  const settle = (entry: Entry, outcome: Outcome<R>) => (outcome.ok ? entry.resolve(outcome.value) : entry.reject(outcome.error));

  async function runAlone(entry: Entry) {
    try {
      const [outcome] = await inTransaction(db, (trx) => processBatch(trx, [entry.job]));
      settle(entry, outcome!);
    } catch (err) {
      entry.reject(err);
    }
  }

  /** Outcomes of a batch, or how it failed: whether it wrote nothing, or may have committed. */
  async function attempt(batch: Entry[], handOver: () => void): Promise<Outcome<R>[] | { failed: unknown; nothingWritten: boolean }> {
    const jobs = batch.map((e) => e.job);
    if (singleStatement) {
      // Measured on a 2-core machine, overlapping a one-statement batch with
      // the next (which then waits on the row locks inside the server) was
      // slower than running them back to back: the next batch starts when
      // this one has committed.
      try {
        return await processBatch(db, jobs);
      } catch (err) {
        return { failed: err, nothingWritten: refusedByServer(err) };
      } finally {
        handOver();
      }
    }
    // Set once the batch's statements have all run: from then on only COMMIT
    // is left, and a failure there leaves the outcome unknown.
    let written = false;
    try {
      return await inTransaction(db, async (trx) => {
        written = false;
        const decided = await processBatch(trx, jobs);
        written = true;
        handOver();
        return decided;
      });
    } catch (err) {
      handOver();
      return { failed: err, nothingWritten: !written };
    }
  }

  async function runBatch(batch: Entry[]) {
    let handedOver = false;
    const handOver = () => {
      if (handedOver) return;
      handedOver = true;
      deciding = false;
      pump();
    };
    const result = await attempt(batch, handOver);
    if (Array.isArray(result)) {
      batch.forEach((entry, i) => settle(entry, result[i]!));
      return;
    }
    // The COMMIT itself failed (say, the connection dropped): the batch may
    // or may not be in the books, so running its jobs again could write
    // them twice. Fail them; a client retry with its Idempotency-Key finds
    // the stored answer if the batch did commit.
    if (!result.nothingWritten || (batch.length === 1 && !singleStatement)) {
      for (const entry of batch) entry.reject(result.failed);
      return;
    }
    // A statement failed before COMMIT, so nothing was written: isolate the
    // failure by running every job in a transaction of its own (which also
    // retries a deadlock, as every transaction here does).
    await Promise.all(batch.map(runAlone));
  }

  function pump() {
    if (deciding || queue.length === 0) return;
    deciding = true;
    const batch = queue.splice(0, maxBatch);
    if (onBatch) {
      const now = performance.now();
      onBatch(batch.length, batch.map((e) => now - e.at));
    }
    void runBatch(batch);
  }

  return {
    submit(job: J): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ job, resolve, reject, at: performance.now() });
        // The first job waits for the end of this turn of the event loop, so
        // the requests read in the same turn join its batch. It matters on
        // the embedded engine, whose statements run on this thread: while one
        // runs, no other request can reach the queue, so without the wait
        // every batch would hold a single job.
        if (queue.length === 1 && !deciding) setImmediate(pump);
      });
    },
    get pending() {
      return queue.length;
    },
    /** Fails the jobs still waiting for a batch (a shutdown's time is up): they wrote nothing. */
    abortQueued(error: unknown) {
      for (const entry of queue.splice(0)) entry.reject(error);
    },
  };
}
