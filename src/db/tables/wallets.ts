import type { ColumnType, Generated } from 'kysely';

// Tables of the wallets feature (migrations/003_wallets.sql).

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<Record<string, unknown> | null, string | null, string | null>;

export type WalletStatus = 'active' | 'blocked';
export type TopupStatus = 'pending' | 'completed' | 'cancelled';
export const DEBIT_TYPES = ['commission', 'penalty', 'plan_purchase', 'adjustment'] as const;
export type DebitType = (typeof DEBIT_TYPES)[number];
export type MovementType = 'cash_topup' | DebitType;

export interface WalletTables {
  drivers: {
    id: string;
    nombre: string;
    telefono: string | null;
    email: string | null;
    user_id: string | null;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  wallets: {
    id: string;
    driver_id: string;
    currency: string;
    status: Generated<WalletStatus>;
    allowed_negative_limit: Generated<bigint>;
    account_id: bigint;
    status_changed_at: Date | null;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  wallet_status_changes: {
    id: string;
    wallet_id: string;
    previous_status: WalletStatus;
    status: WalletStatus;
    reason: string | null;
    comment: string | null;
    changed_by: string;
    changed_at: ColumnType<Date, never, never>;
  };
  cash_collection_points: {
    id: string;
    name: string;
    address: string | null;
    contact_phone: string | null;
    is_active: Generated<boolean>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  wallet_transactions: {
    id: string;
    wallet_id: string;
    type: MovementType;
    status: TopupStatus;
    amount: bigint;
    currency: string;
    description: string | null;
    reference: string | null;
    created_by: string;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  cash_collection_records: {
    id: string;
    driver_id: string;
    wallet_id: string;
    transaction_id: string;
    collection_point_id: string;
    collected_by_user_id: string;
    amount: bigint;
    currency: string;
    status: Generated<TopupStatus>;
    notes: string | null;
    description: string | null;
    metadata: Json;
    pending_transfer_id: bigint;
    created_by_user_id: string;
    created_at: Timestamp;
    updated_at: Timestamp;
    confirmed_at: Date | null;
    confirmed_by_user_id: string | null;
    confirm_comment: string | null;
    cancelled_at: Date | null;
    cancelled_by_user_id: string | null;
    cancel_reason: string | null;
  };
  wallet_movements: {
    id: string;
    seq: Generated<bigint>;
    wallet_id: string;
    transaction_id: string;
    type: MovementType;
    amount: bigint;
    previous_balance: bigint;
    new_balance: bigint;
    note: string | null;
    ledger_transfer_id: bigint;
    created_at: ColumnType<Date, never, never>;
  };
  collection_point_staff: {
    point_id: string;
    user_id: string;
  };
}
