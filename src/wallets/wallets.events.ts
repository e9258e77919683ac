import { z } from 'zod';
import type { NewEvent } from '../core/events.js';
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

const topupAudience = (t: Topup, staff: readonly string[]) => ({ users: [...new Set([t.collectedByUserId, ...staff])], drivers: [t.driverId] });

export const topupEvent = (type: 'wallet.topup.pending' | 'wallet.topup.cancelled', t: Topup, staff: readonly string[]): NewEvent => ({
  type,
  data: z.encode(topupSchema, t),
  audience: topupAudience(t, staff),
});

export const confirmedEvent = (t: ConfirmedTopup, staff: readonly string[]): NewEvent => ({
  type: 'wallet.topup.confirmed',
  data: z.encode(confirmedTopupSchema, t),
  audience: topupAudience(t, staff),
});

export const debitEvent = (driverId: string, d: Debit): NewEvent => ({ type: 'wallet.debited', data: z.encode(debitSchema, d), audience: { drivers: [driverId] } });

export const statusEvent = (s: StatusChange): NewEvent => ({
  type: s.status === 'blocked' ? 'wallet.blocked' : 'wallet.unblocked',
  data: z.encode(statusChangeSchema, s),
  audience: { drivers: [s.driverId] },
});
