import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../core/actor.js';
import { sharedRead } from '../core/shared-read.js';
import { runIdempotent, type Idempotency } from '../core/idempotency.js';
import { containsPattern, paginate, type Page } from '../core/pagination.js';
import type { UpperBound } from '../core/schemas.js';
import type { DebitType } from '../db/tables/wallets.js';
import type { Db } from '../db/transaction.js';
import { InsufficientFundsError, postTransfer, worldAccount } from '../ledger/ledger.js';
import { formatDecimal } from '../ledger/money.js';
import { walletError } from './wallets.errors.js';
import { driverIdOfUser, lockWalletOfDriver, toMovement, type WalletRow } from './wallets.queries.js';
import type { Debit, WalletBalance } from './wallets.schemas.js';
import { recordEvents } from '../core/events.js';
import { debitEvent } from './wallets.events.js';

// Wallet balances, movements and debits (API.md §4). The balance is the
// wallet ledger account's posted balance; pending top-ups are shown apart.

export interface MovementQuery extends Page {
  transactionId?: string | undefined;
  from?: Date | undefined;
  to?: UpperBound | undefined;
  search?: string | undefined;
  sortBy: 'createdAt' | 'amount';
  sortDir: 'asc' | 'desc';
}

export interface NewDebit {
  amount: bigint;
  type: DebitType;
  reference?: string | undefined;
  note?: string | undefined;
}

const forbiddenOwn = () => walletError('FORBIDDEN', 'A Conductor may only read their own wallet');

export function balancesServiceFactory({ db }: { db: Db }) {
  // Polled by driver apps: reads of one wallet arriving together share one query (core/shared-read.ts).
  const balanceOf = sharedRead(readBalance);
  /** One statement, so the balance and the pending sum are read from the same snapshot. Polled: kept prepared. */
  async function readBalance(driverId: string): Promise<WalletBalance> {
    const { rows } = await sql<WalletRow & { posted: bigint; pending: bigint }>`/*prepare*/
      select w.*, a.posted,
             (select coalesce(sum(c.amount), 0)::bigint from cash_collection_records c
               where c.driver_id = w.driver_id and c.status = 'pending') as pending
        from wallets w join ledger_accounts a on a.id = w.account_id
       where w.driver_id = ${driverId}`.execute(db);
    const w = rows[0];
    if (!w) throw walletError('WALLET_NOT_FOUND', 'No wallet for this driver');
    return {
      id: w.id,
      driverId: w.driver_id,
      status: w.status,
      currency: w.currency,
      currentWalletBalance: w.posted,
      pendingTopupsAmount: w.pending,
      allowedNegativeLimit: w.allowed_negative_limit,
      createdAt: w.created_at,
      updatedAt: w.updated_at,
    };
  }

  /** Conductors see their own wallet only; whether another exists is not revealed. */
  async function assertCanRead(actor: Actor, driverId: string) {
    if (actor.role !== 'Conductor') return;
    if ((await driverIdOfUser(db, actor.id)) !== driverId) throw forbiddenOwn();
  }

  return {
    async balance(actor: Actor, driverId: string) {
      await assertCanRead(actor, driverId);
      return balanceOf(driverId);
    },

    async myBalance(actor: Actor) {
      const driverId = await driverIdOfUser(db, actor.id);
      if (!driverId) throw walletError('WALLET_NOT_FOUND', 'This user is not linked to a driver wallet');
      return balanceOf(driverId);
    },

    async movements(actor: Actor, walletId: string, q: MovementQuery) {
      if (actor.role === 'Conductor') {
        const own = await db
          .selectFrom('wallets')
          .innerJoin('drivers', 'drivers.id', 'wallets.driver_id')
          .select('wallets.id')
          .where('drivers.user_id', '=', actor.id)
          .executeTakeFirst();
        if (own?.id !== walletId) throw forbiddenOwn();
      }
      const wallet = await db.selectFrom('wallets').select('id').where('id', '=', walletId).executeTakeFirst();
      if (!wallet) throw walletError('WALLET_NOT_FOUND', 'Wallet not found');

      let base = db
        .selectFrom('wallet_movements as m')
        .innerJoin('wallet_transactions as t', 't.id', 'm.transaction_id')
        .where('m.wallet_id', '=', walletId);
      if (q.transactionId) base = base.where('m.transaction_id', '=', q.transactionId);
      if (q.from) base = base.where('m.created_at', '>=', q.from);
      if (q.to) base = base.where('m.created_at', q.to.op, q.to.at);
      if (q.search) {
        const p = containsPattern(q.search);
        base = base.where((eb) => eb.or([eb('m.note', 'ilike', p), eb('t.description', 'ilike', p)]));
      }
      const { rows, meta } = await paginate(base, q, (b) =>
        b
          .selectAll('m')
          .orderBy(q.sortBy === 'amount' ? 'm.amount' : 'm.created_at', q.sortDir)
          .orderBy('m.id', q.sortDir),
      );
      return { rows: rows.map(toMovement), meta };
    },

    /** wallet → outside world; refused below −allowedNegativeLimit and on a blocked wallet. */
    debit: (actor: Actor, driverId: string, input: NewDebit, idem?: Idempotency<Debit>) =>
      runIdempotent(db, idem, async (trx): Promise<Debit> => {
        const wallet = await lockWalletOfDriver(trx, driverId);
        if (wallet.status === 'blocked') throw walletError('WALLET_BLOCKED', 'This wallet is blocked: debits are refused');
        const { amount } = input;
        const transactionId = randomUUID();
        let transfer: Awaited<ReturnType<typeof postTransfer>>;
        try {
          transfer = await postTransfer(trx, {
            debit: wallet.account_id,
            credit: await worldAccount(trx, wallet.currency),
            amount,
            kind: `wallet_${input.type}`,
            refType: 'wallet_transaction',
            refId: transactionId,
            userId: actor.id,
          });
        } catch (err) {
          if (err instanceof InsufficientFundsError) {
            throw walletError('INSUFFICIENT_FUNDS', 'The wallet balance does not cover this debit', {
              allowedNegativeLimit: formatDecimal(wallet.allowed_negative_limit),
            });
          }
          throw err;
        }
        const newBalance = transfer.balances.get(wallet.account_id)!;
        const previousBalance = newBalance + amount;
        const now = new Date();
        await trx
          .insertInto('wallet_transactions')
          .values({
            id: transactionId,
            wallet_id: wallet.id,
            type: input.type,
            status: 'completed',
            amount,
            currency: wallet.currency,
            description: input.note ?? null,
            reference: input.reference ?? null,
            created_by: actor.id,
          })
          .execute();
        const movementId = randomUUID();
        const m = await trx
          .insertInto('wallet_movements')
          .values({
            id: movementId,
            wallet_id: wallet.id,
            transaction_id: transactionId,
            type: input.type,
            amount: -amount,
            previous_balance: previousBalance,
            new_balance: newBalance,
            note: input.note ?? null,
            ledger_transfer_id: transfer.id,
          })
          .returning('created_at')
          .executeTakeFirstOrThrow();
        await trx.updateTable('wallets').set({ updated_at: now }).where('id', '=', wallet.id).execute();
        const debit: Debit = {
          transactionId,
          movementId,
          type: input.type,
          amount,
          currency: wallet.currency,
          previousBalance,
          newBalance,
          reference: input.reference ?? null,
          note: input.note ?? null,
          createdAt: m.created_at,
        };
        await recordEvents(trx, [debitEvent(driverId, debit)]);
        return debit;
      }),
  };
}

export type BalancesService = ReturnType<typeof balancesServiceFactory>;
