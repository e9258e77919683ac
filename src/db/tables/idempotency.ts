import type { ColumnType } from 'kysely';

export interface IdempotencyTables {
  idempotency_keys: {
    user_id: string;
    method: string;
    path: string;
    key: string;
    request_hash: string;
    status_code: number;
    body: string;
    created_at: ColumnType<Date, never, never>;
  };
}
