import { z } from 'zod';
import type { NewEvent } from '../core/events.js';
import type { Tx } from '../db/transaction.js';
import { createdCajaSchema, movementSchema, sessionSchema, type CreatedCaja, type Movement, type Session } from './cajas.schemas.js';

// The events of cajas and their sessions (API.md §6.5), data as the REST
// routes return it. caja.* and cash.movement are for screens only (sockets):
// no webhook event type names them.

const cajaSummary = createdCajaSchema.extend({ estado: z.boolean() });

/** A caja as its list shows it, for caja.created/updated/deleted; every Operador may see cajas. */
export async function cajaEvent(trx: Tx, type: 'caja.created' | 'caja.updated' | 'caja.deleted', id: number): Promise<NewEvent> {
  const c = await trx
    .selectFrom('cajas as k')
    .innerJoin('ledger_accounts as a', 'a.id', 'k.account_id')
    .select(['k.id', 'k.nombre', 'k.especialidad', 'k.estado', 'a.posted as saldo'])
    .where('k.id', '=', id)
    .executeTakeFirstOrThrow();
  const caja: CreatedCaja & { estado: boolean } = { id: c.id, nombre: c.nombre, especialidad: c.especialidad, saldo: c.saldo, estado: c.estado };
  return { type, data: z.encode(cajaSummary, caja), audience: { operadores: true } };
}

export const sessionEvent = (type: 'session.opened' | 'session.closed', s: Session): NewEvent => ({
  type,
  data: z.encode(sessionSchema, s),
  audience: { users: [s.id_usuario] },
});

export const movementEvent = (m: Movement, cashier: string): NewEvent => ({
  type: 'cash.movement',
  data: z.encode(movementSchema, m),
  audience: { users: [cashier] },
});
