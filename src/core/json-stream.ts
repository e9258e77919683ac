import { Readable } from 'node:stream';

// A whole list a client asked for (the POS histories without page/limit
// return everything, as the seed says) is sent as it is read: a chunk of
// rows at a time, each rendered and written before the next is fetched, so
// a long list neither blocks other requests nor sits whole in memory
// (API.md §6.7).

/** A JSON array of every row the chunks yield, each rendered to its wire form. */
export function jsonArrayStream<T>(chunks: AsyncIterable<T[]>, render: (row: T) => unknown): Readable {
  async function* text() {
    yield '[';
    let first = true;
    for await (const rows of chunks) {
      if (rows.length === 0) continue;
      const parts = rows.map((r) => JSON.stringify(render(r)));
      yield `${first ? '' : ','}${parts.join(',')}`;
      first = false;
    }
    yield ']';
  }
  return Readable.from(text());
}
