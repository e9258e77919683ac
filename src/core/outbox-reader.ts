import { sql } from 'kysely';
import type { Db } from '../db/transaction.js';
import type { Audience, EventType, OutboxEvent } from './events.js';

// Reading the outbox in id order without ever passing an event that may
// still commit (API.md §6.7: "delivery never passes an id while a lower one
// may still commit").
//
// Ids are drawn when a transaction writes its event, but transactions commit
// in their own order: event 7 may be visible while 6 is not yet. A missing
// id (a gap) is either still in flight or gone for good (its transaction
// rolled back). The reader stops at a gap and notes the transactions running
// then (the snapshot's xmax); once every one of them has ended (the current
// snapshot's xmin has reached that xmax), whatever is still missing will
// never appear, and the reader moves past it. This holds because the
// transaction that drew the missing id already had its own id when it drew
// it (recordEvents writes after the change), and drew it before the later
// id that made the gap visible.

type Row = { id: bigint; type: string; occurred_at: Date; data: unknown; audience: unknown };

const toEvent = (r: Row): OutboxEvent => ({
  id: r.id,
  type: r.type as EventType,
  occurredAt: r.occurred_at,
  data: r.data,
  audience: (r.audience ?? {}) as Audience,
});

export interface OutboxReader {
  /** The next events after the position, in id order (at most `limit`); never past a gap that may still fill. */
  next(after: bigint, limit?: number, q?: Db): Promise<OutboxEvent[]>;
}

export async function latestEventId(db: Db): Promise<bigint> {
  const r = await db.selectFrom('outbox_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return r?.id === null || r?.id === undefined ? 0n : BigInt(r.id);
}

export function outboxReader(db: Db): OutboxReader {
  // The gap the reader is waiting on, and the xmax of the snapshot when it was first seen.
  let gap: { id: bigint; xmax: string } | null = null;

  const fetchFrom = async (q: Db, after: bigint, limit: number) =>
    (
      await sql<Row>`select id, type, occurred_at, data, audience from outbox_events where id > ${after.toString()}::bigint order by id limit ${limit}`.execute(q)
    ).rows;

  const snapshotXmax = async (q: Db) => (await sql<{ x: string }>`select pg_snapshot_xmax(pg_current_snapshot())::text as x`.execute(q)).rows[0]!.x;
  const allEnded = async (q: Db, xmax: string) =>
    (await sql<{ ended: boolean }>`select pg_snapshot_xmin(pg_current_snapshot()) >= ${xmax}::xid8 as ended`.execute(q)).rows[0]!.ended;

  return {
    async next(after, limit = 500, q = db) {
      const fetch = (from: bigint, n: number) => fetchFrom(q, from, n);
      const rows = await fetch(after, limit);
      const out: OutboxEvent[] = [];
      let expected = after + 1n;
      for (const row of rows) {
        const id = BigInt(row.id);
        if (id !== expected) {
          if (!gap || gap.id !== expected) {
            gap = { id: expected, xmax: await snapshotXmax(q) };
            break;
          }
          if (!(await allEnded(q, gap.xmax))) break;
          // Everything that could fill the gap has ended: what is still missing never will.
          const filled = await fetch(expected - 1n, 1);
          if (filled.length > 0 && BigInt(filled[0]!.id) < id) break; // it did fill: read again next time
          gap = null;
        }
        out.push(toEvent(row));
        expected = id + 1n;
      }
      return out;
    },
  };
}
