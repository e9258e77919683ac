import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Wakeups } from '../core/wakeups.js';
import { outboxReader } from '../core/outbox-reader.js';
import { inTransaction, type Db } from '../db/transaction.js';
import { guardedLookup, isPublicAddress } from './address-guard.js';
import { sign } from './signing.js';

// Webhook delivery (API.md §6.5, §6.7), at least once and in order per
// webhook, from the outbox:
//
// 1. Fan-out: the events after the durable cursor `webhooks` become one
//    delivery row per subscribed webhook, in the transaction that moves the
//    cursor (so each event is fanned out exactly once, by whichever process
//    gets there first).
// 2. Sending: a webhook's oldest pending delivery is its head; only heads
//    are sent. A process claims a head by pushing its next attempt past the
//    send timeout (a lease), then POSTs it; 2xx delivers it, anything else
//    (or no answer in time) schedules the next attempt with exponential
//    backoff until `giveUpAfterMs` has passed since the event, when it is
//    marked failed and the next one goes. A process killed mid-send leaves
//    the lease to expire and the delivery is sent again: same Webhook-Id.

export interface DeliveryTiming {
  /** No answer within this: a failed attempt (10 s). */
  timeoutMs: number;
  /** The first retry's delay; each next one doubles (up to maxDelayMs). */
  retryBaseMs: number;
  maxDelayMs: number;
  /** Retried until this long after the event (24 h), then failed. */
  giveUpAfterMs: number;
  /** How often the queue is looked at without a wake-up. */
  pollMs: number;
}

export const DEFAULT_TIMING: DeliveryTiming = {
  timeoutMs: 10_000,
  retryBaseMs: 5_000,
  maxDelayMs: 3_600_000,
  giveUpAfterMs: 24 * 3_600_000,
  pollMs: 1_000,
};

const CURSOR = 'webhooks';
const FAN_OUT_BATCH = 500;
const SENDS_AT_ONCE = 16;

interface Head {
  id: bigint;
  webhook_id: string;
  event_id: bigint;
  event_type: string;
  attempts: number;
  created_at: Date;
  url: string;
  secret: string;
  occurred_at: Date;
  data: unknown;
}

export function startDelivery({ db, wakeups, log, allowInsecure, timing = DEFAULT_TIMING }: { db: Db; wakeups: Wakeups; log: FastifyBaseLogger; allowInsecure: boolean; timing?: DeliveryTiming }) {
  const outbox = outboxReader(db);
  let stopped = false;
  let running = false;
  let again = false;
  const inFlight = new Set<Promise<void>>();
  // Whether any webhook exists (or deliveries wait), re-read on every poll and
  // after a local registration: without one, wake-ups cost no query at all.
  let active = true;
  const refreshActive = async () => {
    const r = await sql<{ yes: boolean }>`select exists (select 1 from webhooks where deleted_at is null)
                                              or exists (select 1 from webhook_deliveries where status = 'pending') as yes`.execute(db);
    active = r.rows[0]!.yes;
  };

  /** Moves the cursor over new events, adding their deliveries; true if it moved. */
  const fanOut = () =>
    inTransaction(db, async (trx) => {
      await trx.insertInto('outbox_cursors').values({ name: CURSOR, last_id: 0n }).onConflict((oc) => oc.column('name').doNothing()).execute();
      const cursor = await trx.selectFrom('outbox_cursors').select('last_id').where('name', '=', CURSOR).forUpdate().executeTakeFirstOrThrow();
      const hooks = await trx.selectFrom('webhooks').select(['id', 'events', 'after_event_id']).where('deleted_at', 'is', null).execute();
      if (hooks.length === 0) return false;
      // Events up to the oldest webhook's registration go to no webhook: skipped without reading them.
      const first = hooks.reduce((min, h) => (BigInt(h.after_event_id) < min ? BigInt(h.after_event_id) : min), BigInt(hooks[0]!.after_event_id));
      const after = BigInt(cursor.last_id) > first ? BigInt(cursor.last_id) : first;
      const events = await outbox.next(after, FAN_OUT_BATCH, trx);
      if (events.length === 0) return false;
      const rows = events.flatMap((e) =>
        hooks.filter((h) => h.events.includes(e.type) && e.id > BigInt(h.after_event_id)).map((h) => ({ webhook_id: h.id, event_id: e.id, event_type: e.type })),
      );
      if (rows.length > 0) await trx.insertInto('webhook_deliveries').values(rows).onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doNothing()).execute();
      await trx.updateTable('outbox_cursors').set({ last_id: events[events.length - 1]!.id }).where('name', '=', CURSOR).execute();
      return events.length === FAN_OUT_BATCH;
    });

  /** Claims up to `n` heads due now (leased for longer than a send can take). */
  async function claimHeads(n: number): Promise<Head[]> {
    // Longer than a send can take, plus time to record its outcome.
    const lease = `${Math.ceil(timing.timeoutMs / 1000) + 5} seconds`;
    const { rows } = await sql<Head>`
      with heads as (
        select distinct on (webhook_id) id from webhook_deliveries where status = 'pending' order by webhook_id, event_id
      ), due as (
        select d.id from webhook_deliveries d join heads h on h.id = d.id
         where d.next_attempt_at <= now() order by d.next_attempt_at limit ${n}
      ), claimed as (
        update webhook_deliveries d
           set attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = now() + ${lease}::interval
          from due
         where d.id = due.id and d.status = 'pending' and d.next_attempt_at <= now()
        returning d.*
      )
      select c.id, c.webhook_id, c.event_id, c.event_type, c.attempts, c.created_at, w.url, w.secret, e.occurred_at, e.data
        from claimed c
        join webhooks w on w.id = c.webhook_id and w.deleted_at is null
        join outbox_events e on e.id = c.event_id`.execute(db);
    return rows;
  }

  function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (!allowInsecure && (u.protocol !== 'https:' || (isIP(host) && !isPublicAddress(host)))) {
      return Promise.reject(new Error('refused: not an https URL to a public address'));
    }
    const send = u.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = send(
        u,
        { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, lookup: guardedLookup(allowInsecure), signal: AbortSignal.timeout(timing.timeoutMs) },
        (res) => {
          // The answer's body is not kept: drained and dropped.
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async function deliver(h: Head) {
    const id = h.event_id.toString();
    const body = JSON.stringify({ id, type: h.event_type, occurredAt: new Date(h.occurred_at).toISOString(), data: h.data });
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await post(h.url, { 'content-type': 'application/json', 'user-agent': 'cash-ledger-webhooks/1', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': sign(h.secret, id, timestamp, body) }, body);
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? `no answer in ${timing.timeoutMs} ms` : String((err as Error).message ?? err).slice(0, 200);
    }
    if (error === null) {
      await db.updateTable('webhook_deliveries').set({ status: 'delivered', last_status_code: status, last_error: null, finished_at: new Date() }).where('id', '=', h.id).execute();
      return;
    }
    const delay = Math.min(timing.retryBaseMs * 2 ** (h.attempts - 1), timing.maxDelayMs);
    const giveUp = Date.now() + delay - new Date(h.created_at).getTime() > timing.giveUpAfterMs;
    await db
      .updateTable('webhook_deliveries')
      .set(
        giveUp
          ? { status: 'failed', last_status_code: status, last_error: error, finished_at: new Date() }
          : { last_status_code: status, last_error: error, next_attempt_at: new Date(Date.now() + delay) },
      )
      .where('id', '=', h.id)
      .execute();
    if (giveUp) log.warn({ webhookId: h.webhook_id, eventId: id, error }, 'webhook delivery failed for good');
  }

  async function work(tick = false) {
    if (tick) {
      try {
        await refreshActive();
      } catch {
        return; // the database is away: the next tick tries again
      }
    }
    if (!active) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        while (!stopped && (await fanOut()));
        while (!stopped) {
          const heads = await claimHeads(SENDS_AT_ONCE - inFlight.size);
          if (heads.length === 0) break;
          for (const h of heads) {
            const p = deliver(h)
              .catch((err: unknown) => log.warn({ err }, 'webhook delivery: recording the outcome failed'))
              .finally(() => {
                inFlight.delete(p);
                // The next delivery of that webhook may go now.
                void work();
              });
            inFlight.add(p);
          }
          if (inFlight.size >= SENDS_AT_ONCE) break;
        }
      } while (again && !stopped);
    } catch (err) {
      log.warn({ err }, 'webhook delivery: will try again');
    } finally {
      running = false;
    }
  }

  const poll = setInterval(() => void work(true), timing.pollMs);
  poll.unref();
  const unsubscribe = wakeups.subscribe(() => void work());
  void work(true);

  return {
    /** A webhook was registered here: start looking at once. */
    activate() {
      active = true;
      void work();
    },
    /** Stops taking work; waits for the sends already out (each bounded by the timeout). */
    async stop() {
      stopped = true;
      clearInterval(poll);
      unsubscribe();
      await Promise.allSettled([...inFlight]);
    },
    /** Runs a round now (tests). */
    kick: work,
  };
}
export type Delivery = ReturnType<typeof startDelivery>;
