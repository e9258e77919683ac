import type { Db } from '../db/transaction.js';

// Different reads of one kind that arrive together go to the database as one
// query. A round trip cost the server more than the lookup it carried (and
// on a busy machine, the database's process woken by it takes the server's
// core for a while): wallet requests that arrive in the same turn of the
// event loop each need a lookup, and now share one. Like sharedRead, the
// query starts at the end of the turn, so it sees every write answered
// before any caller asked. Inside a transaction a read runs alone, on that
// transaction (what it sees is the transaction's business).

/**
 * `readMany` answers one value per key, in the keys' order. The returned
 * read takes the handle its caller runs on: the pool's reads are batched.
 */
export function batchedRead<K, T>(db: Db, readMany: (q: Db, keys: K[]) => Promise<T[]>): (q: Db, key: K) => Promise<T> {
  let waiting: Array<{ key: K; resolve: (value: T) => void; reject: (err: unknown) => void }> = [];
  function flush() {
    const batch = waiting;
    waiting = [];
    readMany(
      db,
      batch.map((w) => w.key),
    ).then(
      (values) => batch.forEach((w, i) => w.resolve(values[i]!)),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
  }
  return async (q, key) => {
    if (q !== db) return (await readMany(q, [key]))[0]!;
    return new Promise<T>((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ key, resolve, reject });
    });
  };
}
