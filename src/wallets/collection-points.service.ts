import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { paginate, type Page } from '../core/pagination.js';
import type { WalletTables } from '../db/tables/wallets.js';
import { inTransaction, type Db } from '../db/transaction.js';
import { walletError } from './wallets.errors.js';
import { pointAccount } from './wallets.queries.js';
import type { CollectionPoint } from './wallets.schemas.js';

type PointRow = Selectable<WalletTables['cash_collection_points']>;

const toPoint = (p: PointRow): CollectionPoint => ({
  id: p.id,
  name: p.name,
  address: p.address,
  contactPhone: p.contact_phone,
  isActive: p.is_active,
  createdAt: p.created_at,
  updatedAt: p.updated_at,
});

export interface PointInput {
  name?: string | undefined;
  address?: string | null | undefined;
  contactPhone?: string | null | undefined;
  isActive?: boolean | undefined;
}

export function collectionPointsServiceFactory({ db, defaultCurrency }: { db: Db; defaultCurrency: string }) {
  async function get(id: string) {
    const p = await db.selectFrom('cash_collection_points').selectAll().where('id', '=', id).executeTakeFirst();
    if (!p) throw walletError('COLLECTION_POINT_NOT_FOUND', 'Collection point not found');
    return toPoint(p);
  }

  return {
    get,

    /** The point and its ledger account in DEFAULT_CURRENCY (other currencies get one on first use). */
    create: (input: PointInput & { name: string }) =>
      inTransaction(db, async (trx) => {
        const id = randomUUID();
        const p = await trx
          .insertInto('cash_collection_points')
          .values({
            id,
            name: input.name,
            address: input.address ?? null,
            contact_phone: input.contactPhone ?? null,
            is_active: input.isActive ?? true,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await pointAccount(trx, id, defaultCurrency);
        return toPoint(p);
      }),

    async update(id: string, patch: PointInput) {
      const set: Record<string, unknown> = { updated_at: new Date() };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.address !== undefined) set.address = patch.address;
      if (patch.contactPhone !== undefined) set.contact_phone = patch.contactPhone;
      if (patch.isActive !== undefined) set.is_active = patch.isActive;
      const p = await db.updateTable('cash_collection_points').set(set).where('id', '=', id).returningAll().executeTakeFirst();
      if (!p) throw walletError('COLLECTION_POINT_NOT_FOUND', 'Collection point not found');
      return toPoint(p);
    },

    async list(q: Page & { isActive?: boolean | undefined }) {
      let base = db.selectFrom('cash_collection_points');
      if (q.isActive !== undefined) base = base.where('is_active', '=', q.isActive);
      const { rows, meta } = await paginate(base, q, (b) => b.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'));
      return { rows: rows.map(toPoint), meta };
    },
  };
}

export type CollectionPointsService = ReturnType<typeof collectionPointsServiceFactory>;
