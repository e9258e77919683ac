import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../core/actor.js';
import { errorFactory } from '../core/errors.js';
import { latestEventId } from '../core/outbox-reader.js';
import { inTransaction, type Db } from '../db/transaction.js';
import { refusalOf } from './address-guard.js';
import { newSecret } from './signing.js';
import type { Delivery, Webhook } from './webhooks.schemas.js';

const webhookError = errorFactory({ WEBHOOK_NOT_FOUND: 404, INVALID_WEBHOOK_URL: 400 });

type Row = { id: string; url: string; events: string[]; description: string | null; created_at: Date; delivered_through: bigint; waiting: number };
const toWebhook = (r: Row): Webhook => ({
  id: r.id,
  url: r.url,
  events: r.events,
  description: r.description,
  createdAt: r.created_at,
  deliveredThrough: r.delivered_through.toString(),
  waiting: Number(r.waiting),
});
const COLUMNS = ['id', 'url', 'events', 'description', 'created_at', 'delivered_through'] as const;
// How far behind it is, counted up to a bound so a long backlog stays cheap to show.
const waiting = sql<number>`(select count(*)::int from (select 1 from outbox_events e
                               where e.id > webhooks.delivered_through and e.type = any(webhooks.events) limit 10000) w)`.as('waiting');

// Events from its registration on: the newest id now is where it starts.
async function startingPoint(trx: Db) {
  const latest = await latestEventId(trx);
  return { after_event_id: latest, delivered_through: latest };
}

export function webhooksServiceFactory({ db, allowInsecure, onCreated, onDeleted }: { db: Db; allowInsecure: boolean; onCreated?: () => void; onDeleted?: (id: string) => void }) {
  async function existing(id: string) {
    const row = await db.selectFrom('webhooks').select('id').where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    if (!row) throw webhookError('WEBHOOK_NOT_FOUND', 'Webhook not found');
    return row;
  }

  return {
    /** Registers a webhook; its secret is returned here only. Events from now on are delivered to it. */
    async create(actor: Actor, input: { url: string; events: string[]; description?: string | undefined }) {
      const refusal = await refusalOf(input.url, allowInsecure);
      if (refusal) throw webhookError('INVALID_WEBHOOK_URL', refusal, [{ field: 'url', message: refusal }]);
      const secret = newSecret();
      const row = await inTransaction(db, async (trx) =>
        trx
          .insertInto('webhooks')
          .values({ id: randomUUID(), url: input.url, events: input.events, description: input.description ?? null, secret, created_by: actor.id, ...(await startingPoint(trx)) })
          .returning(COLUMNS)
          .executeTakeFirstOrThrow(),
      );
      onCreated?.();
      return { ...toWebhook({ ...row, waiting: 0 }), secret };
    },

    async list() {
      const rows = await db.selectFrom('webhooks').select([...COLUMNS, waiting]).where('deleted_at', 'is', null).orderBy('created_at').execute();
      return rows.map(toWebhook);
    },

    /** Deletes it: nothing more is sent to it, and what was waiting is marked failed. */
    async remove(id: string) {
      await inTransaction(db, async (trx) => {
        const gone = await trx.updateTable('webhooks').set({ deleted_at: new Date() }).where('id', '=', id).where('deleted_at', 'is', null).returning('id').executeTakeFirst();
        if (!gone) throw webhookError('WEBHOOK_NOT_FOUND', 'Webhook not found');
        await trx
          .updateTable('webhook_deliveries')
          .set({ status: 'failed', last_error: 'webhook deleted', finished_at: new Date() })
          .where('webhook_id', '=', id)
          .where('status', '=', 'pending')
          .execute();
      });
      onDeleted?.(id);
    },

    /** Its deliveries, newest first. */
    async deliveries(id: string, q: { status?: 'pending' | 'delivered' | 'failed' | undefined; limit?: number | undefined }): Promise<Delivery[]> {
      await existing(id);
      let query = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id);
      if (q.status) query = query.where('status', '=', q.status);
      const rows = await query.orderBy('id', 'desc').limit(q.limit ?? 100).execute();
      return rows.map((r) => ({
        id: r.id.toString(),
        eventId: r.event_id.toString(),
        eventType: r.event_type,
        status: r.status,
        attempts: r.attempts,
        lastAttemptAt: r.last_attempt_at,
        lastStatusCode: r.last_status_code,
        lastError: r.last_error,
        nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
        createdAt: r.created_at,
        finishedAt: r.finished_at,
      }));
    },
  };
}
export type WebhooksService = ReturnType<typeof webhooksServiceFactory>;
