import { sql, type RawBuilder } from 'kysely';
import type { Db, Tx } from '../db/transaction.js';

// Domain events (API.md §6.5). A service records its events with
// recordEvents in the transaction of the change, after the change: the
// event then exists exactly when the change committed (the transactional
// outbox), and readers deliver it to sockets and webhooks afterwards.

/** The event types a webhook may subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'recarga.completed',
  'recarga.annulled',
  'injection.completed',
  'session.opened',
  'session.closed',
  'float.low',
  'wallet.topup.pending',
  'wallet.topup.confirmed',
  'wallet.topup.cancelled',
  'wallet.debited',
  'wallet.blocked',
  'wallet.unblocked',
] as const;

/** Changes that live screens follow but integrations have no event for: sockets only. */
export const SOCKET_ONLY_TYPES = ['caja.created', 'caja.updated', 'caja.deleted', 'cash.movement'] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export type EventType = WebhookEventType | (typeof SOCKET_ONLY_TYPES)[number];

/**
 * Who may see an event besides Administradores and Usuarios (who see all):
 * these users (a session's cashier, a point's staff, who collected), the
 * Conductor of these drivers, or every Operador (operator floats).
 */
export interface Audience {
  users?: string[];
  drivers?: string[];
  operadores?: boolean;
}

export interface NewEvent {
  type: EventType;
  /** The resource as its REST route returns it (the route's response schema, encoded). */
  data: unknown;
  audience?: Audience;
}

export interface OutboxEvent {
  id: bigint;
  type: EventType;
  occurredAt: Date;
  data: unknown;
  audience: Audience;
}

/**
 * Writes events in the caller's transaction. Called after the change it
 * reports: the transaction then already has its id when the event's id is
 * drawn, which the outbox reader relies on (and `pg_current_xact_id()`
 * makes sure of for a transaction that wrote nothing else yet).
 */
export async function recordEvents(trx: Tx | Db, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await insertEvents(events).execute(trx);
}

/**
 * recordEvents as a statement to run or to end a statement with (after
 * data-modifying CTEs: `with … ${insertEvents(events)}`), saving a round
 * trip; or as a CTE written only `when` a condition of the statement holds.
 */
export const insertEvents = (events: NewEvent[], when?: RawBuilder<unknown>) => sql`
    insert into outbox_events (type, data, audience)
    select e.type, e.data::jsonb, e.audience::jsonb
      from unnest(${events.map((e) => e.type)}::text[], ${events.map((e) => JSON.stringify(e.data))}::text[],
                  ${events.map((e) => JSON.stringify(e.audience ?? {}))}::text[]) with ordinality as e(type, data, audience, n)
     where pg_current_xact_id() is not null ${when ? sql`and ${when}` : sql``}
     order by e.n`;

/** What an event means for screens: the `dataChanged {entity, action}` messages it causes (API.md §6.5). */
export const DATA_CHANGED: Record<EventType, Array<{ entity: 'caja' | 'recargas' | 'wallet'; action: string }>> = {
  'recarga.completed': [
    { entity: 'caja', action: 'saldo_actualizado' },
    { entity: 'recargas', action: 'saldo_actualizado' },
  ],
  'recarga.annulled': [
    { entity: 'caja', action: 'saldo_actualizado' },
    { entity: 'recargas', action: 'saldo_actualizado' },
  ],
  'injection.completed': [
    { entity: 'caja', action: 'saldo_actualizado' },
    { entity: 'recargas', action: 'saldo_actualizado' },
  ],
  'cash.movement': [{ entity: 'caja', action: 'saldo_actualizado' }],
  'session.opened': [{ entity: 'caja', action: 'CAJA_ABIERTA' }],
  'session.closed': [{ entity: 'caja', action: 'CAJA_CERRADA' }],
  'caja.created': [{ entity: 'caja', action: 'creada' }],
  'caja.updated': [{ entity: 'caja', action: 'actualizada' }],
  'caja.deleted': [{ entity: 'caja', action: 'eliminada' }],
  'float.low': [{ entity: 'recargas', action: 'saldo_bajo' }],
  'wallet.topup.pending': [{ entity: 'wallet', action: 'topup_pending' }],
  'wallet.topup.confirmed': [{ entity: 'wallet', action: 'topup_confirmed' }],
  'wallet.topup.cancelled': [{ entity: 'wallet', action: 'topup_cancelled' }],
  'wallet.debited': [{ entity: 'wallet', action: 'debit' }],
  'wallet.blocked': [{ entity: 'wallet', action: 'blocked' }],
  'wallet.unblocked': [{ entity: 'wallet', action: 'unblocked' }],
};

/**
 * In-process "events may have been written" signal: money routes raise it
 * after answering, so this process's readers look at once instead of at
 * their next poll (other processes hear of it through PostgreSQL).
 */
export function outboxSignal() {
  const listeners = new Set<() => void>();
  return {
    raise: () => listeners.forEach((l) => l()),
    listen(l: () => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
export type OutboxSignal = ReturnType<typeof outboxSignal>;
