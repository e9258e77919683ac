import type { ColumnType, Generated } from 'kysely';

export type AccountKind = 'WORLD' | 'CAJA' | 'OPERADORA' | 'COLLECTION_POINT' | 'WALLET';
export type TransferPhase = 'SINGLE' | 'PENDING' | 'POST' | 'VOID';

export interface LedgerTables {
  ledger_accounts: {
    id: Generated<bigint>;
    code: string;
    kind: AccountKind;
    currency: string;
    floor: bigint | null;
    posted: Generated<bigint>;
    pending_debits: Generated<bigint>;
    pending_credits: Generated<bigint>;
    created_at: ColumnType<Date, never, never>;
  };
  ledger_transfers: {
    id: Generated<bigint>;
    debit_account_id: bigint;
    credit_account_id: bigint;
    amount: bigint;
    phase: TransferPhase;
    pending_id: bigint | null;
    kind: string;
    ref_type: string | null;
    ref_id: string | null;
    user_id: string | null;
    created_at: ColumnType<Date, never, never>;
  };
}
