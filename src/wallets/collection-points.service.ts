import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { paginate, type Page } from '../core/pagination.js';
import type { WalletTables } from '../db/tables/wallets.js';
import { inTransaction, type Db, type Tx } from '../db/transaction.js';
import { walletError } from './wallets.errors.js';
import { pointAccount, pointStaffIds } from './wallets.queries.js';
import type { CollectionPoint } from './wallets.schemas.js';

// Collection points (API.md §4, §6.4): where drivers hand in cash, each with
// a ledger account per currency and, optionally, the Operadores who staff it.

type PointRow = Selectable<WalletTables['cash_collection_points']> & { staff: string[] };

const toPoint = (p: PointRow): CollectionPoint => ({
  id: p.id,
  name: p.name,
  address: p.address,
  contactPhone: p.contact_phone,
  isActive: p.is_active,
  staffUserIds: p.staff,
  createdAt: p.created_at,
  updatedAt: p.updated_at,
});

export interface PointInput {
  name?: string | undefined;
  address?: string | null | undefined;
  contactPhone?: string | null | undefined;
  isActive?: boolean | undefined;
  staffUserIds?: string[] | undefined;
}

/** The point's staff ids, as a column of a query over `cash_collection_points as p`. */
const staffIds = pointStaffIds(sql.ref('p.id'));

const withStaff = (q: Db) => q.selectFrom('cash_collection_points as p').selectAll('p').select(staffIds.as('staff'));

/** The staff list as given: every id an active Operador (404 for an unknown one, 400 for another role). */
async function setStaff(trx: Tx, pointId: string, userIds: string[]) {
  const ids = [...new Set(userIds)];
  const users = ids.length ? await trx.selectFrom('users').select(['id', 'role', 'activo']).where('id', 'in', ids).execute() : [];
  const missing = ids.find((id) => !users.some((u) => u.id === id));
  if (missing) throw walletError('USER_NOT_FOUND', `staffUserIds: user ${missing} not found`);
  if (users.some((u) => u.role !== 'Operador')) throw walletError('INVALID_STAFF', 'staffUserIds: a point is staffed by Operadores');
  await trx.deleteFrom('collection_point_staff').where('point_id', '=', pointId).execute();
  if (ids.length) await trx.insertInto('collection_point_staff').values(ids.map((user_id) => ({ point_id: pointId, user_id }))).execute();
}

export function collectionPointsServiceFactory({ db, defaultCurrency }: { db: Db; defaultCurrency: string }) {
  async function get(id: string, q: Db = db) {
    const p = await withStaff(q).where('p.id', '=', id).executeTakeFirst();
    if (!p) throw walletError('COLLECTION_POINT_NOT_FOUND', 'Collection point not found');
    return toPoint(p);
  }

  return {
    get: (id: string) => get(id),

    /** The point and its ledger account in DEFAULT_CURRENCY (other currencies get one on first use). */
    create: (input: PointInput & { name: string }) =>
      inTransaction(db, async (trx) => {
        const id = randomUUID();
        await trx
          .insertInto('cash_collection_points')
          .values({ id, name: input.name, address: input.address ?? null, contact_phone: input.contactPhone ?? null, is_active: input.isActive ?? true })
          .execute();
        if (input.staffUserIds) await setStaff(trx, id, input.staffUserIds);
        await pointAccount(trx, id, defaultCurrency);
        return get(id, trx);
      }),

    update: (id: string, patch: PointInput) =>
      inTransaction(db, async (trx) => {
        const set: Record<string, unknown> = { updated_at: new Date() };
        if (patch.name !== undefined) set.name = patch.name;
        if (patch.address !== undefined) set.address = patch.address;
        if (patch.contactPhone !== undefined) set.contact_phone = patch.contactPhone;
        if (patch.isActive !== undefined) set.is_active = patch.isActive;
        const p = await trx.updateTable('cash_collection_points').set(set).where('id', '=', id).returning('id').executeTakeFirst();
        if (!p) throw walletError('COLLECTION_POINT_NOT_FOUND', 'Collection point not found');
        if (patch.staffUserIds) await setStaff(trx, id, patch.staffUserIds);
        return get(id, trx);
      }),

    async list(q: Page & { isActive?: boolean | undefined; usableBy?: string | undefined }) {
      let base = db.selectFrom('cash_collection_points as p');
      if (q.isActive !== undefined) base = base.where('p.is_active', '=', q.isActive);
      if (q.usableBy) {
        const user = q.usableBy;
        base = base.where((eb) =>
          eb.or([
            eb.not(eb.exists(eb.selectFrom('collection_point_staff as s').select('s.user_id').whereRef('s.point_id', '=', 'p.id'))),
            eb.exists(eb.selectFrom('collection_point_staff as s').select('s.user_id').whereRef('s.point_id', '=', 'p.id').where('s.user_id', '=', user)),
          ]),
        );
      }
      const { rows, meta } = await paginate(base, q, (b) =>
        b
          .selectAll('p')
          .select(staffIds.as('staff'))
          .orderBy('p.created_at', 'desc')
          .orderBy('p.id', 'desc'),
      );
      return { rows: rows.map(toPoint), meta };
    },
  };
}

export type CollectionPointsService = ReturnType<typeof collectionPointsServiceFactory>;
