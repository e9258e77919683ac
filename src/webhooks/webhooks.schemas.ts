import { z } from 'zod';
import { timestamp } from '../core/money.schemas.js';
import { text, uuidV4 } from '../core/schemas.js';
import { WEBHOOK_EVENT_TYPES } from '../core/events.js';

// Webhooks (API.md §6.5): POS family (bare JSON), Administrador only.

export const webhookBody = z
  .object({
    url: z.string().max(2048).meta({ description: 'https to a public address (http and local addresses only with WEBHOOK_ALLOW_INSECURE=true)' }),
    events: z
      .array(z.enum(WEBHOOK_EVENT_TYPES))
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length)
      .refine((e) => new Set(e).size === e.length, 'must not repeat an event type'),
    description: text(250).optional(),
  })
  .meta({ example: { url: 'https://rides.example.com/hooks/ledger', events: ['wallet.topup.confirmed', 'wallet.blocked'], description: 'Habilitar viajes' } });

export const webhookSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    createdAt: timestamp,
    deliveredThrough: z.string().meta({ description: 'Outbox id up to which every event has been delivered, failed for good, or was of another type' }),
    waiting: z.number().int().meta({ description: 'Subscribed events after deliveredThrough still to be sent (counted up to 10000)' }),
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.output<typeof webhookSchema>;

export const createdWebhookSchema = webhookSchema
  .extend({ secret: z.string().meta({ description: 'whsec_… — shown once: the key to verify Webhook-Signature' }) })
  .meta({ id: 'WebhookCreated' });

export const deliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number(),
    lastAttemptAt: timestamp.nullable(),
    lastStatusCode: z.number().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: timestamp.nullable().meta({ description: 'When a pending delivery is tried next' }),
    createdAt: timestamp,
    finishedAt: timestamp.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
export type Delivery = z.output<typeof deliverySchema>;

export const webhookParams = z.object({ id: uuidV4 });
export const deliveriesQuery = z.object({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 500, 'must be between 1 and 500')
    .optional(),
});
