import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { UsersService } from '../auth/users.service.js';
import { inTransaction, isUniqueViolation, type Db } from '../db/transaction.js';
import { createAccount } from '../ledger/ledger.js';
import { parseDecimal } from '../ledger/money.js';
import { containsPattern, offsetOf, pageMeta } from '../core/pagination.js';
import { walletError } from './wallets.errors.js';
import type { WalletTables } from '../db/tables/wallets.js';

export interface NewDriver {
  nombre: string;
  telefono?: string | undefined;
  email?: string | undefined;
  password?: string | undefined;
  allowedNegativeLimit?: string | undefined;
}

type DriverRow = Selectable<WalletTables['drivers']> & { wallet_id: string };

export const driverJson = (d: DriverRow) => ({
  id: d.id,
  nombre: d.nombre,
  telefono: d.telefono,
  email: d.email,
  walletId: d.wallet_id,
  userId: d.user_id,
  createdAt: d.created_at.toISOString(),
});

export function driversServiceFactory({ db, users, defaultCurrency }: { db: Db; users: UsersService; defaultCurrency: string }) {
  const withWallet = (q: Db) =>
    q
      .selectFrom('drivers')
      .innerJoin('wallets', 'wallets.driver_id', 'drivers.id')
      .selectAll('drivers')
      .select('wallets.id as wallet_id');

  return {
    /** A driver, its wallet (with its ledger account) and, with email+password, its Conductor login. */
    async create(input: NewDriver) {
      const limit = input.allowedNegativeLimit === undefined ? 0n : parseDecimal(input.allowedNegativeLimit)!;
      const email = input.email?.trim().toLowerCase() ?? null;
      return inTransaction(db, async (trx) => {
        let userId: string | null = null;
        if (email && input.password !== undefined) {
          const user = await users.create({ email, password: input.password, nombres: input.nombre, role: 'Conductor' }, trx);
          userId = user.id;
        }
        const id = randomUUID();
        const walletId = randomUUID();
        try {
          await trx
            .insertInto('drivers')
            .values({ id, nombre: input.nombre, telefono: input.telefono ?? null, email, user_id: userId })
            .execute();
        } catch (err) {
          if (isUniqueViolation(err, 'drivers_email_key')) throw walletError('EMAIL_TAKEN', 'A driver with this email already exists');
          throw err;
        }
        const accountId = await createAccount(trx, {
          code: `wallet:${walletId}`,
          kind: 'WALLET',
          currency: defaultCurrency,
          floor: -limit,
        });
        await trx
          .insertInto('wallets')
          .values({ id: walletId, driver_id: id, currency: defaultCurrency, allowed_negative_limit: limit, account_id: accountId })
          .execute();
        return withWallet(trx).where('drivers.id', '=', id).executeTakeFirstOrThrow();
      });
    },

    async get(id: string) {
      const d = await withWallet(db).where('drivers.id', '=', id).executeTakeFirst();
      if (!d) throw walletError('DRIVER_NOT_FOUND', 'Driver not found');
      return d;
    },

    async list(q: { page: number; limit: number; search?: string | undefined }) {
      let base = db.selectFrom('drivers');
      if (q.search) {
        const p = containsPattern(q.search);
        base = base.where((eb) =>
          eb.or([eb('nombre', 'ilike', p), eb('email', 'ilike', p), eb('telefono', 'ilike', p)]),
        );
      }
      const { total } = await base.select(sql<string>`count(*)`.as('total')).executeTakeFirstOrThrow();
      const ids = base.select('drivers.id');
      const rows = await withWallet(db)
        .where('drivers.id', 'in', ids)
        .orderBy('drivers.created_at', 'desc')
        .orderBy('drivers.id', 'desc')
        .limit(q.limit)
        .offset(offsetOf(q.page, q.limit))
        .execute();
      return { rows, meta: pageMeta(q.page, q.limit, total) };
    },
  };
}

export type DriversService = ReturnType<typeof driversServiceFactory>;
