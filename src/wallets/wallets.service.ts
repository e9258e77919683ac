import type { UsersService } from '../auth/users.service.js';
import type { Db } from '../db/transaction.js';
import { balancesServiceFactory } from './balances.service.js';
import { collectionPointsServiceFactory } from './collection-points.service.js';
import { driversServiceFactory } from './drivers.service.js';
import { statusServiceFactory } from './status.service.js';
import { topupsServiceFactory } from './topups.service.js';

// The wallets feature (API.md §4): drivers and their wallets, collection
// points, two-phase cash top-ups, balances/movements/debits, block/unblock.
export function walletsServiceFactory({ db, users, defaultCurrency }: { db: Db; users: UsersService; defaultCurrency: string }) {
  return {
    drivers: driversServiceFactory({ db, users, defaultCurrency }),
    points: collectionPointsServiceFactory({ db, defaultCurrency }),
    topups: topupsServiceFactory({ db }),
    balances: balancesServiceFactory({ db }),
    status: statusServiceFactory({ db }),
  };
}

export type WalletsService = ReturnType<typeof walletsServiceFactory>;
