import pg from 'pg';
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/transaction.js';
import type { OutboxSignal } from './events.js';

// Waking the readers of every process when events may have been written.
// In this process the money routes raise the signal after answering; other
// processes hear a NOTIFY (sent outside the money transactions, at most one
// per NOTIFY_MS, so commits never queue on PostgreSQL's notify lock) on a
// LISTEN connection of their own. A missed wake-up costs at most the
// readers' poll interval: the outbox, not the notification, is the record.

const CHANNEL = 'outbox_events';
const NOTIFY_MS = 10;
const WAKE_MS = 5;

export function crossProcessWakeups({ db, signal, listenUrl, log }: { db: Db; signal: OutboxSignal; listenUrl?: string | undefined; log: FastifyBaseLogger }) {
  const readers = new Set<() => void>();
  // Coalesced: under load a wake-up per request would keep the readers querying without pause.
  let wakeTimer: NodeJS.Timeout | undefined;
  const onWake = () => {
    wakeTimer ??= setTimeout(() => {
      wakeTimer = undefined;
      readers.forEach((r) => r());
    }, WAKE_MS);
  };
  let closed = false;
  let client: pg.Client | null = null;
  let notifyTimer: NodeJS.Timeout | undefined;

  const stopListening = signal.listen(() => {
    onWake();
    if (!listenUrl || notifyTimer) return;
    notifyTimer = setTimeout(() => {
      notifyTimer = undefined;
      sql`select pg_notify(${CHANNEL}, '')`.execute(db).catch((err: unknown) => log.warn({ err }, 'live updates: notify failed'));
    }, NOTIFY_MS);
  });

  async function listen(delay = 500): Promise<void> {
    if (!listenUrl || closed) return;
    const c = new pg.Client({ connectionString: listenUrl });
    c.on('notification', () => onWake());
    c.on('error', (err) => {
      log.warn({ err }, 'live updates: LISTEN connection lost; reconnecting');
      c.end().catch(() => {});
      if (client === c) client = null;
      setTimeout(() => void listen(), delay).unref();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      if (closed) return void (await c.end());
      client = c;
      onWake(); // anything written while not listening
    } catch (err) {
      log.warn({ err, retryInMs: delay }, 'live updates: cannot LISTEN yet');
      c.end().catch(() => {});
      setTimeout(() => void listen(Math.min(delay * 2, 10_000)), delay).unref();
    }
  }
  void listen();

  return {
    /** Calls `reader` whenever events may have been written, by this process or another. */
    subscribe(reader: () => void) {
      readers.add(reader);
      return () => void readers.delete(reader);
    },
    async close() {
      closed = true;
      stopListening();
      clearTimeout(notifyTimer);
      clearTimeout(wakeTimer);
      await client?.end().catch(() => {});
    },
  };
}
export type Wakeups = ReturnType<typeof crossProcessWakeups>;
