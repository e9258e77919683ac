import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { UsersService } from '../auth/users.service.js';
import { containsPattern, paginate, type Page } from '../core/pagination.js';
import type { WalletTables } from '../db/tables/wallets.js';
import { inTransaction, isUniqueViolation, type Db } from '../db/transaction.js';
import { createAccount } from '../ledger/ledger.js';
import { walletError } from './wallets.errors.js';
import type { Driver } from './wallets.schemas.js';

export interface NewDriver {
  nombre: string;
  telefono?: string | undefined;
  email?: string | undefined;
  password?: string | undefined;
  allowedNegativeLimit?: bigint | undefined;
}

type DriverRow = Selectable<WalletTables['drivers']> & { wallet_id: string };

const toDriver = (d: DriverRow): Driver => ({
  id: d.id,
  nombre: d.nombre,
  telefono: d.telefono,
  email: d.email,
  walletId: d.wallet_id,
  userId: d.user_id,
  createdAt: d.created_at,
});

export function driversServiceFactory({ db, users, defaultCurrency }: { db: Db; users: UsersService; defaultCurrency: string }) {
  const joined = (q: Db) => q.selectFrom('drivers').innerJoin('wallets', 'wallets.driver_id', 'drivers.id');
  const withWallet = (q: Db) => joined(q).selectAll('drivers').select('wallets.id as wallet_id');

  return {
    /** A driver, its wallet (with its ledger account) and, with email+password, its Conductor login. */
    async create(input: NewDriver) {
      const limit = input.allowedNegativeLimit ?? 0n;
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
        return toDriver(await withWallet(trx).where('drivers.id', '=', id).executeTakeFirstOrThrow());
      });
    },

    async get(id: string) {
      const d = await withWallet(db).where('drivers.id', '=', id).executeTakeFirst();
      if (!d) throw walletError('DRIVER_NOT_FOUND', 'Driver not found');
      return toDriver(d);
    },

    async list(q: Page & { search?: string | undefined }) {
      let base = joined(db);
      if (q.search) {
        const p = containsPattern(q.search);
        base = base.where((eb) => eb.or([eb('drivers.nombre', 'ilike', p), eb('drivers.email', 'ilike', p), eb('drivers.telefono', 'ilike', p)]));
      }
      const { rows, meta } = await paginate(base, q, (b) =>
        b.selectAll('drivers').select('wallets.id as wallet_id').orderBy('drivers.created_at', 'desc').orderBy('drivers.id', 'desc'),
      );
      return { rows: rows.map(toDriver), meta };
    },
  };
}

export type DriversService = ReturnType<typeof driversServiceFactory>;
