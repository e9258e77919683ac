import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { WalletTables } from '../db/tables/wallets.js';
import type { Db, Tx } from '../db/transaction.js';
import { walletError } from './wallets.errors.js';
import type { Role } from '../db/tables/auth.js';
import type { Topup, WalletMovement } from './wallets.schemas.js';

// Lookups and row → domain mappers shared by the wallet services (the wire
// format is the schemas' business).

export type WalletRow = Selectable<WalletTables['wallets']>;
export type TopupRow = Selectable<WalletTables['cash_collection_records']>;
export type MovementRow = Selectable<WalletTables['wallet_movements']>;

/**
 * The wallet of a driver, locked for this transaction (block, debit). NO KEY
 * UPDATE serializes these with each other but not with inserts that merely
 * reference the wallet (a new top-up's foreign keys).
 */
export async function lockWalletOfDriver(trx: Tx, driverId: string): Promise<WalletRow> {
  const w = await trx.selectFrom('wallets').selectAll().where('driver_id', '=', driverId).forNoKeyUpdate().executeTakeFirst();
  if (!w) throw walletError('WALLET_NOT_FOUND', 'No wallet for this driver');
  return w;
}

/** A collection point's staff, their user ids in order, as an array column (empty when it names none). */
export const pointStaffIds = (pointId: RawBuilder<unknown>) =>
  sql<string[]>`array(select s.user_id::text from collection_point_staff s where s.point_id = ${pointId} order by s.user_id)`;

/** The staff of one collection point (part of its top-ups' audience). */
export async function pointStaff(q: Db, pointId: string): Promise<string[]> {
  const { rows } = await sql<{ staff: string[] }>`select ${pointStaffIds(sql`${pointId}::uuid`)} as staff`.execute(q);
  return rows[0]!.staff;
}

export interface TopupContextKey {
  driverId: string;
  pointId: string;
  collectorId: string;
}

export interface TopupContext {
  now: Date;
  wallet_id: string | null;
  currency: string | null;
  wallet_account: bigint | null;
  point_id: string | null;
  point_active: boolean | null;
  point_account: bigint | null;
  staff: string[];
  collector_id: string | null;
  collector_role: Role | null;
  collector_activo: boolean | null;
}

/**
 * Everything a new cash top-up is checked against, for each of several
 * top-ups in one round trip (each costs the server more than the lookup
 * itself; see core/batched-read.ts): the wallet, the point, its cash
 * account in the wallet's currency if it exists yet, its staff, the
 * collector, and the time, which the top-up's rows are stamped with.
 */
export async function topupContexts(q: Db, keys: TopupContextKey[]): Promise<TopupContext[]> {
  const { rows } = await sql<TopupContext>`/*prepare*/
    select now() as now,
           w.id as wallet_id, w.currency, w.account_id as wallet_account,
           p.id as point_id, p.is_active as point_active,
           (select a.id from ledger_accounts a where a.code = ${pointAccountCode(sql.ref('p.id'), sql.ref('w.currency'))}) as point_account,
           ${pointStaffIds(sql.ref('p.id'))} as staff,
           u.id as collector_id, u.role as collector_role, u.activo as collector_activo
      from unnest(${keys.map((k) => k.driverId)}::uuid[], ${keys.map((k) => k.pointId)}::uuid[], ${keys.map((k) => k.collectorId)}::uuid[])
             with ordinality as k(driver_id, point_id, collector_id, n)
      left join wallets w on w.driver_id = k.driver_id
      left join cash_collection_points p on p.id = k.point_id
      left join users u on u.id = k.collector_id
     order by k.n`.execute(q);
  return rows;
}

export type TopupToConfirm = TopupRow & { wallet_account: bigint; wallet_posted: bigint; staff: string[] };

/**
 * Top-up records as a confirm needs them, read without locks (one per id,
 * undefined for none): its wallet's account and posted balance (the
 * confirm's statement checks they still hold, under its locks) and the
 * point's staff.
 */
export async function topupsToConfirm(q: Db, ccrIds: string[]): Promise<Array<TopupToConfirm | undefined>> {
  const { rows } = await sql<TopupToConfirm & { n: bigint }>`/*prepare*/
    select k.n, c.*, w.account_id as wallet_account, a.posted as wallet_posted,
           ${pointStaffIds(sql.ref('c.collection_point_id'))} as staff
      from unnest(${ccrIds}::uuid[]) with ordinality as k(id, n)
      join cash_collection_records c on c.id = k.id
      join wallets w on w.id = c.wallet_id
      join ledger_accounts a on a.id = w.account_id`.execute(q);
  const byPosition = new Map(rows.map(({ n, ...row }) => [Number(n), row]));
  return ccrIds.map((_, i) => byPosition.get(i + 1));
}

/**
 * The guard of confirms' statement (ledger Composed): every record still
 * pending, with its wallet row, locked in that order (record by record in
 * id order, each then its wallet; then the ledger's accounts), as every
 * writer of a wallet locks them. It has a row only when all are there.
 */
export const pendingTopupsGuard = (ccrIds: string[]) => sql`
    guard_rows as (
      select c.id from cash_collection_records c join wallets w on w.id = c.wallet_id
       where c.id = any(${ccrIds}::uuid[]) and c.status = 'pending'
       order by c.id
         for no key update of c, w
    ),
    guard as (select count(*) from guard_rows having count(*) = ${ccrIds.length})`;

/** The guard's locks taken ahead, in a transaction: a pending record and its wallet row (nothing when it is not pending). */
export async function lockTopupAndWallet(q: Db, ccrId: string): Promise<void> {
  await sql`/*prepare*/ with ${pendingTopupsGuard([ccrId])} select id from guard_rows`.execute(q);
}

export async function walletOfDriver(db: Db, driverId: string): Promise<WalletRow> {
  const w = await db.selectFrom('wallets').selectAll().where('driver_id', '=', driverId).executeTakeFirst();
  if (!w) throw walletError('WALLET_NOT_FOUND', 'No wallet for this driver');
  return w;
}

/** The driver a Conductor user logs in as, if any. */
export async function driverIdOfUser(db: Db, userId: string): Promise<string | undefined> {
  const d = await db.selectFrom('drivers').select('id').where('user_id', '=', userId).executeTakeFirst();
  return d?.id;
}

/** The code of a collection point's cash account in a currency, the one spelling of it (in SQL, so a lookup can join on it). */
const pointAccountCode = (pointId: RawBuilder<unknown>, currency: RawBuilder<unknown>) => sql<string>`'point:' || ${pointId} || ':' || ${currency}`;

/** The ledger account holding a collection point's cash in one currency, created on first use. */
export async function pointAccount(q: Db, pointId: string, currency: string): Promise<bigint> {
  const code = pointAccountCode(sql`${pointId}::uuid`, sql`${currency}::text`);
  await sql`insert into ledger_accounts (code, kind, currency, floor) values (${code}, 'COLLECTION_POINT', ${currency}, null)
            on conflict (code) do nothing`.execute(q);
  // A statement of its own: it sees the account whoever created it (a twin's insert above waited for its commit).
  const { rows } = await sql<{ id: bigint }>`select id from ledger_accounts where code = ${code}`.execute(q);
  return rows[0]!.id;
}

/** A record as answered (its pending transfer is the ledger's business, not the client's). */
export const toTopup = (r: Omit<TopupRow, 'pending_transfer_id'>): Topup => ({
  cashCollectionRecordId: r.id,
  transactionId: r.transaction_id,
  driverId: r.driver_id,
  walletId: r.wallet_id,
  status: r.status,
  currency: r.currency,
  amount: r.amount,
  collectionPointId: r.collection_point_id,
  collectedByUserId: r.collected_by_user_id,
  notes: r.notes,
  description: r.description,
  metadata: r.metadata as Topup['metadata'],
  createdAt: r.created_at,
  createdByUserId: r.created_by_user_id,
  confirmedAt: r.confirmed_at,
  confirmedByUserId: r.confirmed_by_user_id,
  comment: r.confirm_comment,
  cancelledAt: r.cancelled_at,
  cancelledByUserId: r.cancelled_by_user_id,
  reason: r.cancel_reason,
});

export const toMovement = (m: MovementRow): WalletMovement => ({
  id: m.id,
  walletId: m.wallet_id,
  transactionId: m.transaction_id,
  type: m.type,
  amount: m.amount,
  previousBalance: m.previous_balance,
  newBalance: m.new_balance,
  note: m.note,
  createdAt: m.created_at,
});
