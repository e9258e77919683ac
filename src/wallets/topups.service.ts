import { randomUUID } from 'node:crypto';
import { sql, type SelectQueryBuilder } from 'kysely';
import type { DB } from '../db/types.js';
import { canCollectCash, isAdmin } from '../auth/roles.js';
import type { Actor } from '../core/actor.js';
import { batchedRead } from '../core/batched-read.js';
import { runIdempotent, runIdempotentStatement, type Idempotency } from '../core/idempotency.js';
import { paginate, type Page } from '../core/pagination.js';
import type { UpperBound } from '../core/schemas.js';
import { inTransaction, type Db, type Tx } from '../db/transaction.js';
import {
  GuardRefusedError,
  PendingAlreadyResolvedError,
  StaleBalanceError,
  voidPendingTransfer,
} from '../ledger/ledger.js';
import { walletError } from './wallets.errors.js';
import {
  lockTopupAndWallet,
  pointAccount,
  pointStaff,
  toTopup,
  topupContexts,
  topupsToConfirm,
  type TopupRow,
  type TopupToConfirm,
} from './wallets.queries.js';
import type { ConfirmedTopup, Topup, TopupListItem } from './wallets.schemas.js';
import { recordEvents } from '../core/events.js';
import { topupEvent } from './wallets.events.js';
import { topupWriters, type TopupWriters } from './topups.writes.js';

// Two-phase cash top-ups (API.md §4): create = a pending point → wallet
// transfer; confirm posts it (the wallet is credited, one movement); cancel
// voids it. Confirm and cancel lock the record first, then check its status:
// of two concurrent confirms the second waits, then sees "completed".
//
// A create or a confirm is a read and one statement that writes everything
// (the ledger's, with the business rows and the event composed in): with no
// Idempotency-Key it needs no transaction, and each round trip saved counts
// (this path's cost was its round trips). The reads of requests arriving
// together share a query (core/batched-read.ts), their writes a statement
// (topups.writes.ts).

/** How many times a confirm reads and tries before it locks first. */
const OPTIMISTIC_TRIES = 3;

export interface NewTopup {
  collectionPointId: string;
  collectedByUserId: string;
  amount: bigint;
  currency?: string | undefined;
  notes?: string | undefined;
  description?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface TopupQuery extends Page {
  status?: 'pending' | 'completed' | 'cancelled' | undefined;
  driverId?: string | undefined;
  collectionPointId?: string | undefined;
  collectedByUserId?: string | undefined;
  from?: Date | undefined;
  to?: UpperBound | undefined;
  sortBy: 'createdAt' | 'amount';
  sortDir: 'asc' | 'desc';
}

async function lockRecord(trx: Tx, ccrId: string): Promise<TopupRow> {
  return checkOpen(await trx.selectFrom('cash_collection_records').selectAll().where('id', '=', ccrId).forNoKeyUpdate().executeTakeFirst());
}

/** A record that can still be confirmed or cancelled. */
function checkOpen<R extends TopupRow>(r: R | undefined): R {
  if (!r) throw walletError('CCR_NOT_FOUND', 'Cash collection record not found');
  if (r.status === 'completed') throw walletError('CCR_ALREADY_COMPLETED', 'This cash top-up was already confirmed');
  if (r.status === 'cancelled') throw walletError('CCR_ALREADY_CANCELLED', 'This cash top-up was cancelled');
  return r;
}

/**
 * The ledger's own guard behind the row lock: a resolved pending transfer is
 * never resolved again. (The lock makes this unreachable; should it fire,
 * the record's status is not known here, so the answer is a plain conflict.)
 */
async function resolved<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PendingAlreadyResolvedError) throw walletError('CONFLICT', 'This cash top-up was already resolved');
    throw err;
  }
}

/** The names lists show beside the ids: the driver, the point, who collected. */
const withNames = <O>(q: SelectQueryBuilder<DB & { c: DB['cash_collection_records'] }, 'c', O>) =>
  q
    .innerJoin('drivers as d', 'd.id', 'c.driver_id')
    .innerJoin('cash_collection_points as p', 'p.id', 'c.collection_point_id')
    .innerJoin('users as u', 'u.id', 'c.collected_by_user_id')
    .leftJoin('users as r', (j) => j.on(sql`r.id`, '=', sql`coalesce(c.confirmed_by_user_id, c.cancelled_by_user_id)`))
    .selectAll('c')
    .select(['d.nombre as driver_name', 'p.name as point_name', 'u.nombres as collector_name', 'r.nombres as resolver_name']);

const named = (db: Db) => withNames(db.selectFrom('cash_collection_records as c'));

const toListItem = (r: TopupRow & { driver_name: string; point_name: string; collector_name: string; resolver_name: string | null }): TopupListItem => ({
  ...toTopup(r),
  driverName: r.driver_name,
  collectionPointName: r.point_name,
  collectedByName: r.collector_name,
  resolvedByName: r.resolver_name,
  confirmComment: r.confirm_comment,
  cancelReason: r.cancel_reason,
});

type ReadToConfirm = (q: Db, ccrId: string) => Promise<TopupToConfirm | undefined>;
type WriteConfirm = TopupWriters['confirm'];

/** What a confirm read changed before its statement could lock it: another confirm, a cancel, a debit. */
const changedUnder = (err: unknown) => err instanceof GuardRefusedError || err instanceof StaleBalanceError;

/**
 * A confirm as a read and one statement that locks (the record, its wallet,
 * the accounts) and writes only if what was read still holds: the record
 * pending, the wallet's balance (its movement and event name it).
 */
async function confirmOnce(q: Db, read: ReadToConfirm, write: WriteConfirm, actor: Actor, ccrId: string, comment: string | undefined) {
  const record = checkOpen(await read(q, ccrId));
  return resolved(() => write(q, { actorId: actor.id, record, comment }));
}

export function topupsServiceFactory({ db }: { db: Db }) {
  // Their reads, batched when several arrive together (with no Idempotency-Key, on the pool).
  const contextOf = batchedRead(db, topupContexts);
  const toConfirm = batchedRead(db, topupsToConfirm);
  // Their writes, group-committed (topups.writes.ts).
  const writes = topupWriters(db);
  return {
    /** Fails the writes still waiting for a batch (a shutdown's time is up): they wrote nothing. */
    abortQueued: (error: unknown) => writes.abortQueued(error),

    create: (actor: Actor, driverId: string, input: NewTopup, idem?: Idempotency<Topup>) =>
      runIdempotentStatement(db, idem, async (q) => {
        // Order of refusals: 404s, then the 400s that need what was looked
        // up (currency, collector's role), then ownership (403), then 409.
        const found = await contextOf(q, { driverId, pointId: input.collectionPointId, collectorId: input.collectedByUserId });
        if (!found.wallet_id) throw walletError('WALLET_NOT_FOUND', 'No wallet for this driver');
        if (!found.point_id) throw walletError('COLLECTION_POINT_NOT_FOUND', 'Collection point not found');
        if (!found.collector_id) throw walletError('USER_NOT_FOUND', 'collectedByUserId: user not found');
        // Without a currency the wallet's own is meant (the seed's default, CUP,
        // is DEFAULT_CURRENCY's default, which new wallets get).
        const currency = input.currency ?? found.currency!;
        if (currency !== found.currency) {
          throw walletError('CURRENCY_MISMATCH', `currency must be the wallet's currency (${found.currency})`, {
            walletCurrency: found.currency,
          });
        }
        if (!canCollectCash({ role: found.collector_role!, activo: found.collector_activo! })) {
          throw walletError('INVALID_COLLECTOR', 'collectedByUserId must be an active Administrador or Operador');
        }
        if (!isAdmin(actor) && found.collector_id !== actor.id) {
          throw walletError('FORBIDDEN', 'An Operador may only record cash they collected themselves');
        }
        if (!isAdmin(actor) && found.staff.length > 0 && !found.staff.includes(actor.id)) {
          throw walletError('NOT_POINT_STAFF', 'This collection point is staffed by other cashiers');
        }
        if (!found.point_active) throw walletError('COLLECTION_POINT_INACTIVE', 'Collection point is inactive');

        return writes.create(q, {
          row: {
            id: randomUUID(),
            driver_id: driverId,
            wallet_id: found.wallet_id,
            transaction_id: randomUUID(),
            collection_point_id: found.point_id,
            collected_by_user_id: found.collector_id,
            amount: input.amount,
            currency,
            notes: input.notes ?? null,
            description: input.description ?? null,
            metadata: (input.metadata ?? null) as TopupRow['metadata'],
            created_by_user_id: actor.id,
            created_at: found.now,
          },
          debit: found.point_account ?? (await pointAccount(q, found.point_id, currency)),
          credit: found.wallet_account!,
          staff: found.staff,
        });
      }),

    confirm: (actor: Actor, ccrId: string, comment: string | undefined, idem?: Idempotency<ConfirmedTopup>) =>
      runIdempotentStatement(db, idem, async (q): Promise<ConfirmedTopup> => {
        const once = () => confirmOnce(q, toConfirm, writes.confirm, actor, ccrId, comment);
        for (let attempt = 1; attempt <= OPTIMISTIC_TRIES; attempt++) {
          try {
            return await once();
          } catch (err) {
            if (!changedUnder(err)) throw err;
          }
        }
        // Still changing (many confirms into one wallet at once): lock the
        // record and its wallet first; then what the next read sees holds.
        const locked = async (trx: Db) => {
          await lockTopupAndWallet(trx, ccrId);
          return confirmOnce(trx, toConfirm, writes.confirm, actor, ccrId, comment);
        };
        return q.isTransaction ? locked(q) : inTransaction(db, locked);
      }),

    cancel: (actor: Actor, ccrId: string, reason: string, idem?: Idempotency<Topup>) =>
      runIdempotent(db, idem, async (trx) => {
        const record = await lockRecord(trx, ccrId);
        await resolved(() => voidPendingTransfer(trx, record.pending_transfer_id, { kind: 'wallet_cash_topup_cancel', userId: actor.id }));
        const now = new Date();
        const row = await trx
          .updateTable('cash_collection_records')
          .set({ status: 'cancelled', cancelled_at: now, cancelled_by_user_id: actor.id, cancel_reason: reason, updated_at: now })
          .where('id', '=', record.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx.updateTable('wallet_transactions').set({ status: 'cancelled', updated_at: now }).where('id', '=', record.transaction_id).execute();
        const cancelled = toTopup(row);
        await recordEvents(trx, [topupEvent('wallet.topup.cancelled', cancelled, await pointStaff(trx, record.collection_point_id))]);
        return cancelled;
      }),

    async get(ccrId: string): Promise<TopupListItem> {
      const r = await named(db).where('c.id', '=', ccrId).executeTakeFirst();
      if (!r) throw walletError('CCR_NOT_FOUND', 'Cash collection record not found');
      return toListItem(r);
    },

    /** A page of records, with names, and what the filtered records add up to, in all and per point. */
    async list(q: TopupQuery) {
      let base = db.selectFrom('cash_collection_records as c');
      if (q.status) base = base.where('c.status', '=', q.status);
      if (q.driverId) base = base.where('c.driver_id', '=', q.driverId);
      if (q.collectionPointId) base = base.where('c.collection_point_id', '=', q.collectionPointId);
      if (q.collectedByUserId) base = base.where('c.collected_by_user_id', '=', q.collectedByUserId);
      if (q.from) base = base.where('c.created_at', '>=', q.from);
      if (q.to) base = base.where('c.created_at', q.to.op, q.to.at);
      const { rows, meta } = await paginate(base, q, (b) =>
        withNames(b)
          .orderBy(q.sortBy === 'amount' ? 'c.amount' : 'c.created_at', q.sortDir)
          .orderBy('c.id', q.sortDir),
      );
      const byPoint = await base
        .innerJoin('cash_collection_points as p', 'p.id', 'c.collection_point_id')
        .select(['c.collection_point_id', 'p.name', 'c.currency'])
        .select(sql<string>`count(*)`.as('n'))
        .select(sql<string>`coalesce(sum(c.amount), 0)::text`.as('total'))
        .groupBy(['c.collection_point_id', 'p.name', 'c.currency'])
        .orderBy('p.name')
        .orderBy('c.collection_point_id')
        .orderBy('c.currency')
        .execute();
      const byCollectionPoint = byPoint.map((r) => ({
        collectionPointId: r.collection_point_id,
        collectionPointName: r.name,
        currency: r.currency,
        count: Number(r.n),
        totalAmount: BigInt(r.total),
      }));
      return {
        rows: rows.map(toListItem),
        meta: { ...meta, totalAmount: byCollectionPoint.reduce((sum, p) => sum + p.totalAmount, 0n), byCollectionPoint },
      };
    },
  };
}

export type TopupsService = ReturnType<typeof topupsServiceFactory>;
