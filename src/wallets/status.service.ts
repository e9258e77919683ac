import { randomUUID } from 'node:crypto';
import type { Actor } from '../core/actor.js';
import { paginate, type Page } from '../core/pagination.js';
import type { WalletStatus } from '../db/tables/wallets.js';
import { inTransaction, type Db } from '../db/transaction.js';
import { lockWalletOfDriver, walletOfDriver } from './wallets.queries.js';
import type { StatusChange } from './wallets.schemas.js';
import { recordEvents } from '../core/events.js';
import { statusEvent } from './wallets.events.js';

// Block / unblock (API.md §4): idempotent; only real changes are recorded.

export function statusServiceFactory({ db }: { db: Db }) {
  const setStatus = (actor: Actor, driverId: string, target: WalletStatus, note: { reason?: string | undefined; comment?: string | undefined }) =>
    inTransaction(db, async (trx): Promise<StatusChange> => {
      const wallet = await lockWalletOfDriver(trx, driverId);
      const base = { driverId, walletId: wallet.id, previousStatus: wallet.status, status: target };
      if (wallet.status === target) {
        const at = wallet.status_changed_at ?? wallet.created_at;
        return { ...base, changed: false, changedAt: at };
      }
      const change = await trx
        .insertInto('wallet_status_changes')
        .values({
          id: randomUUID(),
          wallet_id: wallet.id,
          previous_status: wallet.status,
          status: target,
          reason: note.reason ?? null,
          comment: note.comment ?? null,
          changed_by: actor.id,
        })
        .returning('changed_at')
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('wallets')
        .set({ status: target, status_changed_at: change.changed_at, updated_at: change.changed_at })
        .where('id', '=', wallet.id)
        .execute();
      const changed: StatusChange = { ...base, changed: true, changedAt: change.changed_at };
      await recordEvents(trx, [statusEvent(changed)]);
      return changed;
    });

  return {
    block: (actor: Actor, driverId: string, note: { reason?: string | undefined; comment?: string | undefined }) =>
      setStatus(actor, driverId, 'blocked', note),
    unblock: (actor: Actor, driverId: string, note: { reason?: string | undefined; comment?: string | undefined }) =>
      setStatus(actor, driverId, 'active', note),

    async history(driverId: string, q: Page) {
      const wallet = await walletOfDriver(db, driverId);
      const base = db.selectFrom('wallet_status_changes as c').innerJoin('users as u', 'u.id', 'c.changed_by').where('c.wallet_id', '=', wallet.id);
      const { rows, meta } = await paginate(base, q, (b) => b.selectAll('c').select('u.nombres').orderBy('c.changed_at', 'desc').orderBy('c.id', 'desc'));
      return {
        rows: rows.map((r) => ({
          id: r.id,
          driverId,
          walletId: wallet.id,
          previousStatus: r.previous_status,
          status: r.status,
          reason: r.reason,
          comment: r.comment,
          changedByUserId: r.changed_by,
          changedByName: r.nombres,
          changedAt: r.changed_at,
        })),
        meta,
      };
    },
  };
}

export type StatusService = ReturnType<typeof statusServiceFactory>;
