import { sql } from 'kysely';
import type { Db } from '../db/transaction.js';

// Ids and times for keyed sales, known before their batch statement runs, so
// their responses can be rendered in full and stored by that statement.
// Drawing them costs a round trip; a block of ids is drawn at once instead,
// through the caller's own connection (a transaction may be holding the only
// one), with the database's clock: sales are stamped with the local clock
// corrected by the offset measured then, so their times follow the
// database's as every other time in the books does. Ids of one process come
// in ascending order; those of several processes interleave, as any
// sequence's do. A block's unused ids are simply skipped (sequences have gaps).

const BLOCK = 256;
/** The clock offset is measured again at least this often. */
const CLOCK_CHECK_MS = 60_000;

export function saleIdReservoir() {
  let ids: number[] = [];
  let offsetMs = 0;
  let measuredAt = -Infinity;

  return {
    async take(q: Db, n: number): Promise<Array<{ id: number; at: Date }>> {
      if (ids.length < n || Date.now() - measuredAt > CLOCK_CHECK_MS) {
        const asked = Date.now();
        const { rows } = await sql<{ id: number; at: Date }>`
          select nextval('recargas_cliente_id_seq')::integer as id, clock_timestamp() as at
            from generate_series(1, ${Math.max(n, BLOCK)}::integer)`.execute(q);
        const answered = Date.now();
        ids = [...ids, ...rows.map((r) => r.id)];
        offsetMs = rows[0]!.at.getTime() - (asked + answered) / 2;
        measuredAt = answered;
      }
      const at = new Date(Date.now() + offsetMs);
      return ids.splice(0, n).map((id) => ({ id, at }));
    },
  };
}

export type SaleIdReservoir = ReturnType<typeof saleIdReservoir>;
