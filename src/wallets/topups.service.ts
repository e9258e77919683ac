import { randomUUID } from 'node:crypto';
import { canCollectCash, isAdmin } from '../auth/roles.js';
import type { Actor } from '../core/actor.js';
import { runIdempotent, type Idempotency } from '../core/idempotency.js';
import { paginate, type Page } from '../core/pagination.js';
import type { UpperBound } from '../core/schemas.js';
import type { Db, Tx } from '../db/transaction.js';
import { PendingAlreadyResolvedError, createPendingTransfer, postPendingTransfer, voidPendingTransfer } from '../ledger/ledger.js';
import { walletError } from './wallets.errors.js';
import { pointAccount, toTopup, type TopupRow } from './wallets.queries.js';
import type { ConfirmedTopup, Topup } from './wallets.schemas.js';

// Two-phase cash top-ups (API.md §4): create = a pending point → wallet
// transfer; confirm posts it (the wallet is credited, one movement); cancel
// voids it. Confirm and cancel lock the record first, then check its status:
// of two concurrent confirms the second waits, then sees "completed".

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
  const r = await trx.selectFrom('cash_collection_records').selectAll().where('id', '=', ccrId).forNoKeyUpdate().executeTakeFirst();
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

export function topupsServiceFactory({ db }: { db: Db }) {
  return {
    create: (actor: Actor, driverId: string, input: NewTopup, idem?: Idempotency<Topup>) =>
      runIdempotent(db, idem, async (trx) => {
        // Order of refusals: 404s, then the 400s that need what was looked
        // up (currency, collector's role), then ownership (403), then 409.
        const wallet = await trx.selectFrom('wallets').selectAll().where('driver_id', '=', driverId).executeTakeFirst();
        if (!wallet) throw walletError('WALLET_NOT_FOUND', 'No wallet for this driver');
        const point = await trx
          .selectFrom('cash_collection_points')
          .select(['id', 'is_active'])
          .where('id', '=', input.collectionPointId)
          .executeTakeFirst();
        if (!point) throw walletError('COLLECTION_POINT_NOT_FOUND', 'Collection point not found');
        const collector = await trx
          .selectFrom('users')
          .select(['id', 'role', 'activo'])
          .where('id', '=', input.collectedByUserId)
          .executeTakeFirst();
        if (!collector) throw walletError('USER_NOT_FOUND', 'collectedByUserId: user not found');
        // Without a currency the wallet's own is meant (the seed's default, CUP,
        // is DEFAULT_CURRENCY's default, which new wallets get).
        const currency = input.currency ?? wallet.currency;
        if (currency !== wallet.currency) {
          throw walletError('CURRENCY_MISMATCH', `currency must be the wallet's currency (${wallet.currency})`, {
            walletCurrency: wallet.currency,
          });
        }
        if (!canCollectCash(collector)) {
          throw walletError('INVALID_COLLECTOR', 'collectedByUserId must be an active Administrador or Operador');
        }
        if (!isAdmin(actor) && collector.id !== actor.id) {
          throw walletError('FORBIDDEN', 'An Operador may only record cash they collected themselves');
        }
        if (!point.is_active) throw walletError('COLLECTION_POINT_INACTIVE', 'Collection point is inactive');

        const { amount } = input;
        const id = randomUUID();
        const transactionId = randomUUID();
        await trx
          .insertInto('wallet_transactions')
          .values({
            id: transactionId,
            wallet_id: wallet.id,
            type: 'cash_topup',
            status: 'pending',
            amount,
            currency,
            description: input.description ?? null,
            created_by: actor.id,
          })
          .execute();
        const pendingId = await createPendingTransfer(trx, {
          debit: await pointAccount(trx, point.id, currency),
          credit: wallet.account_id,
          amount,
          kind: 'wallet_cash_topup',
          refType: 'cash_collection_record',
          refId: id,
          userId: actor.id,
        });
        const row = await trx
          .insertInto('cash_collection_records')
          .values({
            id,
            driver_id: driverId,
            wallet_id: wallet.id,
            transaction_id: transactionId,
            collection_point_id: point.id,
            collected_by_user_id: collector.id,
            amount,
            currency,
            notes: input.notes ?? null,
            description: input.description ?? null,
            metadata: input.metadata === undefined ? null : JSON.stringify(input.metadata),
            pending_transfer_id: pendingId,
            created_by_user_id: actor.id,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toTopup(row);
      }),

    confirm: (actor: Actor, ccrId: string, comment: string | undefined, idem?: Idempotency<ConfirmedTopup>) =>
      runIdempotent(db, idem, async (trx): Promise<ConfirmedTopup> => {
        const record = await lockRecord(trx, ccrId);
        // Lock order: record, wallet row, then (inside the ledger) the accounts.
        const wallet = await trx.selectFrom('wallets').selectAll().where('id', '=', record.wallet_id).forNoKeyUpdate().executeTakeFirstOrThrow();
        const posted = await resolved(() =>
          postPendingTransfer(trx, record.pending_transfer_id, { kind: 'wallet_cash_topup_confirm', userId: actor.id }),
        );
        const newBalance = posted.balances.get(wallet.account_id)!;
        const previousBalance = newBalance - record.amount;
        const now = new Date();
        const row = await trx
          .updateTable('cash_collection_records')
          .set({ status: 'completed', confirmed_at: now, confirmed_by_user_id: actor.id, confirm_comment: comment ?? null, updated_at: now })
          .where('id', '=', record.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx.updateTable('wallet_transactions').set({ status: 'completed', updated_at: now }).where('id', '=', record.transaction_id).execute();
        await trx.updateTable('wallets').set({ updated_at: now }).where('id', '=', wallet.id).execute();
        await trx
          .insertInto('wallet_movements')
          .values({
            id: randomUUID(),
            wallet_id: wallet.id,
            transaction_id: record.transaction_id,
            type: 'cash_topup',
            amount: record.amount,
            previous_balance: previousBalance,
            new_balance: newBalance,
            // Empty notes are no notes (API.md §4): the description stands in.
            note: record.notes || record.description,
            ledger_transfer_id: posted.id,
          })
          .execute();
        return { ...toTopup(row), status: 'completed', previousBalance, newBalance, confirmedAt: now, confirmedByUserId: actor.id };
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
        return toTopup(row);
      }),

    async get(ccrId: string) {
      const r = await db.selectFrom('cash_collection_records').selectAll().where('id', '=', ccrId).executeTakeFirst();
      if (!r) throw walletError('CCR_NOT_FOUND', 'Cash collection record not found');
      return toTopup(r);
    },

    async list(q: TopupQuery) {
      let base = db.selectFrom('cash_collection_records');
      if (q.status) base = base.where('status', '=', q.status);
      if (q.driverId) base = base.where('driver_id', '=', q.driverId);
      if (q.collectionPointId) base = base.where('collection_point_id', '=', q.collectionPointId);
      if (q.collectedByUserId) base = base.where('collected_by_user_id', '=', q.collectedByUserId);
      if (q.from) base = base.where('created_at', '>=', q.from);
      if (q.to) base = base.where('created_at', q.to.op, q.to.at);
      const { rows, meta } = await paginate(base, q, (b) =>
        b
          .selectAll()
          .orderBy(q.sortBy === 'amount' ? 'amount' : 'created_at', q.sortDir)
          .orderBy('id', q.sortDir),
      );
      return { rows: rows.map(toTopup), meta };
    },
  };
}

export type TopupsService = ReturnType<typeof topupsServiceFactory>;
