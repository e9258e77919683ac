// Identical reads that arrive together share one query, without giving up
// read-your-writes: a caller only joins a query that has not started yet.
// The query starts at the end of the current turn of the event loop, after
// every caller that joined it arrived, so it sees every write answered
// before any of them. Under load, balance reads arriving in one turn (on
// the embedded engine, all those that piled up while a statement ran) cost
// one query instead of one each. Callers get the same result object: they
// must not change it.
export function sharedRead<K, T>(read: (key: K) => Promise<T>): (key: K) => Promise<T> {
  const waiting = new Map<K, Promise<T>>();
  return (key) => {
    let result = waiting.get(key);
    if (!result) {
      result = new Promise<T>((resolve, reject) =>
        setImmediate(() => {
          waiting.delete(key);
          read(key).then(resolve, reject);
        }),
      );
      waiting.set(key, result);
    }
    return result;
  };
}
