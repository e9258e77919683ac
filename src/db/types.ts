import type { AuthTables } from './tables/auth.js';
import type { CajasTables } from './tables/cajas.js';
import type { EventTables } from './tables/events.js';
import type { IdempotencyTables } from './tables/idempotency.js';
import type { LedgerTables } from './tables/ledger.js';
import type { RecargasTables } from './tables/recargas.js';
import type { WalletTables } from './tables/wallets.js';

// Each feature declares its own tables; the database is their union.
export interface DB extends AuthTables, LedgerTables, IdempotencyTables, CajasTables, RecargasTables, WalletTables, EventTables {}
