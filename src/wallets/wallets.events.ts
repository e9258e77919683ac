import { z } from 'zod';
import type { NewEvent } from '../core/events.js';
import type { Tx } from '../db/transaction.js';
import {
  confirmedTopupSchema,
  debitSchema,
  statusChangeSchema,
  topupSchema,
  type ConfirmedTopup,
  type Debit,
  type StatusChange,
  type Topup,
} from './wallets.schemas.js';

// The events of driver wallets (API.md §6.5), data as the REST routes
// return it. A top-up is seen by who collected it and the point's staff; any
// wallet event by the driver (as Conductor).

async function topupAudience(trx: Tx, t: Topup) {
  const staff = await trx.selectFrom('collection_point_staff').select('user_id').where('point_id', '=', t.collectionPointId).execute();
  return { users: [...new Set([t.collectedByUserId, ...staff.map((s) => s.user_id)])], drivers: [t.driverId] };
}

export async function topupEvent(trx: Tx, type: 'wallet.topup.pending' | 'wallet.topup.cancelled', t: Topup): Promise<NewEvent> {
  return { type, data: z.encode(topupSchema, t), audience: await topupAudience(trx, t) };
}

export async function confirmedEvent(trx: Tx, t: ConfirmedTopup): Promise<NewEvent> {
  return { type: 'wallet.topup.confirmed', data: z.encode(confirmedTopupSchema, t), audience: await topupAudience(trx, t) };
}

export const debitEvent = (driverId: string, d: Debit): NewEvent => ({ type: 'wallet.debited', data: z.encode(debitSchema, d), audience: { drivers: [driverId] } });

export const statusEvent = (s: StatusChange): NewEvent => ({
  type: s.status === 'blocked' ? 'wallet.blocked' : 'wallet.unblocked',
  data: z.encode(statusChangeSchema, s),
  audience: { drivers: [s.driverId] },
});
