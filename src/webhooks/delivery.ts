import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Wakeups } from '../core/wakeups.js';
import { outboxReader, type OutboxReader } from '../core/outbox-reader.js';
import { inTransaction, type Db } from '../db/transaction.js';
import { sendEvent } from './send.js';

// Webhook delivery (API.md §6.5, §6.7): at least once and in order per
// webhook, straight from the outbox.
//
// Each webhook has a cursor, `delivered_through`: every event up to it is
// delivered, failed for good, or of a type it did not subscribe to. A
// process takes a lease on the webhook, reads the events after the cursor
// (never past one that may still commit: core/outbox-reader.ts) and sends
// them one at a time, in order. What it sent is recorded every second, at a
// failure and when it has caught up: one transaction that writes the
// delivery rows, moves the cursor and renews the lease. A failed send stops
// the webhook until its next attempt (exponential backoff), recorded as a
// pending delivery; past `giveUpAfterMs` it is marked failed and the next
// event goes. A process killed mid-batch leaves its lease to expire and the
// unrecorded sends are made again, with the same Webhook-Id.

export interface DeliveryTiming {
  /** No answer within this: a failed attempt (10 s). */
  timeoutMs: number;
  /** The first retry's delay; each next one doubles (up to maxDelayMs). */
  retryBaseMs: number;
  maxDelayMs: number;
  /** Retried until this long after the first attempt (24 h), then failed. */
  giveUpAfterMs: number;
  /** How often webhooks are looked at without a wake-up. */
  pollMs: number;
}

export const DEFAULT_TIMING: DeliveryTiming = {
  timeoutMs: 10_000,
  retryBaseMs: 5_000,
  maxDelayMs: 3_600_000,
  giveUpAfterMs: 24 * 3_600_000,
  pollMs: 1_000,
};

const BATCH = 200;
const RECORD_EVERY_MS = 1_000;

interface Claimed {
  url: string;
  secret: string;
  events: string[];
  delivered_through: bigint;
}

interface Done {
  event_id: bigint;
  event_type: string;
  status: 'delivered' | 'failed' | 'pending';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date;
  created_at: Date;
  next_attempt_at: Date;
  finished_at: Date | null;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export function startDelivery({
  db,
  wakeups,
  log,
  allowInsecure,
  timing = DEFAULT_TIMING,
  onOutcome,
}: {
  db: Db;
  wakeups: Wakeups;
  log: FastifyBaseLogger;
  allowInsecure: boolean;
  timing?: DeliveryTiming;
  /** Each attempt's outcome (metrics). */
  onOutcome?: (outcome: DeliveryOutcome) => void;
}) {
  const me = randomUUID();
  // Longer than a send can take after the last record, plus time to record.
  const leaseMs = RECORD_EVERY_MS + timing.timeoutMs + 5_000;
  let stopped = false;
  let hooks: string[] = [];
  const readers = new Map<string, OutboxReader>();
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const dropped = new Set<string>();

  async function refresh() {
    hooks = (await db.selectFrom('webhooks').select('id').where('deleted_at', 'is', null).execute()).map((r) => r.id);
    for (const id of readers.keys()) if (!hooks.includes(id)) readers.delete(id);
  }

  /** Leases the webhook if no one else holds it and its head is due. */
  async function claim(id: string) {
    const { rows } = await sql<Claimed>`
      update webhooks set lease_owner = ${me}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
       where id = ${id} and deleted_at is null and (retry_at is null or retry_at <= now())
         and (lease_until is null or lease_until < now() or lease_owner = ${me})
      returning url, secret, events, delivered_through`.execute(db);
    if (!rows[0]) return null;
    const pending = await db
      .selectFrom('webhook_deliveries')
      .select(['event_id', 'attempts', 'created_at'])
      .where('webhook_id', '=', id)
      .where('status', '=', 'pending')
      .execute();
    return { hook: rows[0], pending: new Map(pending.map((p) => [BigInt(p.event_id), p])) };
  }

  /** Writes what was sent and moves the cursor; false if the lease was lost or the webhook deleted. */
  function record(id: string, done: Done[], cursor: bigint, then: { release: boolean; retryAt?: Date }) {
    return inTransaction(db, async (trx) => {
      const kept = await trx
        .updateTable('webhooks')
        .set({
          delivered_through: cursor,
          retry_at: then.retryAt ?? null,
          ...(then.release ? { lease_owner: null, lease_until: null } : { lease_until: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'` }),
        })
        .where('id', '=', id)
        .where('lease_owner', '=', me)
        .where('deleted_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      // Sends that happened are history even if the lease was lost meanwhile;
      // but then the new holder's record of the same event (a retry plan) wins.
      const rows = kept !== undefined ? done : done.filter((d) => d.status !== 'pending');
      if (rows.length > 0) {
        await trx
          .insertInto('webhook_deliveries')
          .values(rows.map((d) => ({ webhook_id: id, ...d })))
          .onConflict((oc) =>
            kept === undefined
              ? oc.columns(['webhook_id', 'event_id']).doNothing()
              : oc.columns(['webhook_id', 'event_id']).doUpdateSet((eb) => ({
              status: eb.ref('excluded.status'),
              attempts: eb.ref('excluded.attempts'),
              last_status_code: eb.ref('excluded.last_status_code'),
              last_error: eb.ref('excluded.last_error'),
              last_attempt_at: eb.ref('excluded.last_attempt_at'),
              next_attempt_at: eb.ref('excluded.next_attempt_at'),
              finished_at: eb.ref('excluded.finished_at'),
            })),
          )
          .execute();
      }
      return kept !== undefined;
    });
  }

  async function run(id: string) {
    const claimed = await claim(id);
    if (!claimed) return;
    const { hook, pending } = claimed;
    let reader = readers.get(id);
    if (!reader) readers.set(id, (reader = outboxReader(db)));
    let cursor = BigInt(hook.delivered_through);
    let done: Done[] = [];
    let recordedAt = Date.now();
    const flush = async (then: { release: boolean; retryAt?: Date }) => {
      const kept = await record(id, done, cursor, then);
      done = [];
      recordedAt = Date.now();
      return kept;
    };

    for (;;) {
      const events = stopped || dropped.has(id) ? [] : await reader.next(cursor, BATCH);
      if (events.length === 0) {
        await flush({ release: true });
        return;
      }
      for (const e of events) {
        if (stopped || dropped.has(id)) break;
        // Every second: what was sent or passed over is recorded, and the lease renewed
        // (also while passing over a long run of other types, or another process would take over).
        if (Date.now() - recordedAt >= RECORD_EVERY_MS && !(await flush({ release: false }))) return;
        if (!hook.events.includes(e.type)) {
          cursor = e.id;
          continue;
        }
        const before = pending.get(e.id);
        const attempts = (before?.attempts ?? 0) + 1;
        const firstAttempt = before ? new Date(before.created_at) : new Date();
        const outcome = await sendEvent(
          hook,
          { id: e.id.toString(), type: e.type, occurredAt: e.occurredAt.toISOString(), data: e.data },
          { timeoutMs: timing.timeoutMs, allowInsecure },
        );
        const now = new Date();
        const row = { event_id: e.id, event_type: e.type, attempts, last_status_code: outcome.status, last_error: outcome.error, last_attempt_at: now, created_at: firstAttempt, next_attempt_at: now };
        if (outcome.ok) {
          onOutcome?.('delivered');
          done.push({ ...row, status: 'delivered', finished_at: now });
          cursor = e.id;
        } else {
          const delay = Math.min(timing.retryBaseMs * 2 ** (attempts - 1), timing.maxDelayMs);
          if (now.getTime() + delay - firstAttempt.getTime() > timing.giveUpAfterMs) {
            log.warn({ webhookId: id, eventId: e.id.toString(), error: outcome.error }, 'webhook delivery failed for good');
            onOutcome?.('failed');
            done.push({ ...row, status: 'failed', finished_at: now });
            cursor = e.id;
          } else {
            onOutcome?.('retry');
            const retryAt = new Date(now.getTime() + delay);
            done.push({ ...row, status: 'pending', next_attempt_at: retryAt, finished_at: null });
            await flush({ release: true, retryAt });
            return;
          }
        }
      }
    }
  }

  /** Runs the webhook's sender here, unless it already runs (then it looks again when done). */
  function kick(id: string) {
    if (stopped) return;
    if (running.has(id)) {
      again.add(id);
      return;
    }
    const p = run(id)
      .catch((err: unknown) => log.warn({ err, webhookId: id }, 'webhook delivery: will try again'))
      .finally(() => {
        running.delete(id);
        if (again.delete(id)) kick(id);
      });
    running.set(id, p);
  }

  const kickAll = () => {
    for (const id of hooks) kick(id);
  };
  const tick = () =>
    refresh().then(kickAll, () => {
      // The database is away: the next tick tries again.
    });

  const poll = setInterval(() => void tick(), timing.pollMs);
  poll.unref();
  const unsubscribe = wakeups.subscribe(kickAll);
  void tick();

  return {
    /** A webhook was registered here: start looking at once. */
    activate: () => void tick(),
    /** A webhook was deleted here: stop sending to it now (other processes stop at their next record). */
    drop(id: string) {
      dropped.add(id);
      void tick();
    },
    /** Stops taking work; waits for the sends already out (each bounded by the timeout) to be recorded. */
    async stop() {
      stopped = true;
      clearInterval(poll);
      unsubscribe();
      await Promise.allSettled([...running.values()]);
    },
  };
}
export type Delivery = ReturnType<typeof startDelivery>;
