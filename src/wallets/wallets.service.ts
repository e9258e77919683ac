import type { UsersService } from '../auth/users.service.js';
import type { Db } from '../db/transaction.js';

// Stub: filled in by the wallets feature (issue 4).
export function walletsServiceFactory(deps: { db: Db; users: UsersService; defaultCurrency: string }) {
  return { deps };
}
export type WalletsService = ReturnType<typeof walletsServiceFactory>;
