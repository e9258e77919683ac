import type { AuthTables } from '../auth/auth.tables.js';
import type { CajasTables } from '../cajas/cajas.tables.js';
import type { IdempotencyTables } from '../http/idempotency.tables.js';
import type { LedgerTables } from '../ledger/ledger.tables.js';
import type { RecargasTables } from '../recargas/recargas.tables.js';
import type { WalletTables } from '../wallets/wallets.tables.js';

// Each feature declares its own tables; the database is their union.
export interface DB extends AuthTables, LedgerTables, IdempotencyTables, CajasTables, RecargasTables, WalletTables {}
