import type { ColumnType, Generated } from 'kysely';

type Json = ColumnType<unknown, string, string>;

export interface EventTables {
  outbox_events: {
    id: Generated<bigint>;
    type: string;
    occurred_at: Generated<Date>;
    data: Json;
    audience: ColumnType<unknown, string | undefined, string>;
  };
  webhooks: {
    id: string;
    url: string;
    events: string[];
    description: string | null;
    secret: string;
    created_by: string;
    after_event_id: Generated<bigint>;
    delivered_through: bigint;
    lease_owner: string | null;
    lease_until: Date | null;
    retry_at: Date | null;
    created_at: Generated<Date>;
    deleted_at: Date | null;
  };
  webhook_deliveries: {
    id: Generated<bigint>;
    webhook_id: string;
    event_id: bigint;
    event_type: string;
    status: Generated<'pending' | 'delivered' | 'failed'>;
    attempts: Generated<number>;
    next_attempt_at: Generated<Date>;
    last_attempt_at: Date | null;
    last_status_code: number | null;
    last_error: string | null;
    created_at: Generated<Date>;
    finished_at: Date | null;
  };
}
