import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ADMIN } from '../auth/roles.js';
import { actorOf } from '../auth/auth.hook.js';
import { posError } from '../core/schemas.js';
import { createdWebhookSchema, deliveriesQuery, deliverySchema, webhookBody, webhookParams, webhookSchema } from './webhooks.schemas.js';
import type { WebhooksService } from './webhooks.service.js';

const tags = ['webhooks'];
const security = [{ bearerAuth: [] }];
const admin = { roles: ADMIN };
const errors = { 400: posError, 401: posError, 403: posError };

export const webhooksRoutes: FastifyPluginAsyncZod<{ webhooks: WebhooksService }> = async (app, { webhooks }) => {
  app.post('/webhooks', {
    config: admin,
    schema: {
      tags,
      summary: 'Register a webhook (its secret is shown once)',
      description:
        'Every event of the listed types that happens from now on is POSTed to url as JSON {id, type, occurredAt, data}, ' +
        'signed per Standard Webhooks (Webhook-Id, Webhook-Timestamp, Webhook-Signature: "v1," + base64 HMAC-SHA256 of ' +
        '"id.timestamp.body" keyed with the base64-decoded secret after "whsec_"). At least once, in order per webhook; ' +
        'non-2xx or no answer in 10 s is retried with exponential backoff for 24 h, then marked failed.',
      security,
      body: webhookBody,
      response: { 201: createdWebhookSchema, ...errors },
    },
    handler: async (request, reply) => reply.code(201).send(await webhooks.create(actorOf(request), request.body)),
  });

  app.get('/webhooks', {
    config: admin,
    schema: { tags, summary: 'The registered webhooks (without their secrets)', security, response: { 200: z.array(webhookSchema), ...errors } },
    handler: () => webhooks.list(),
  });

  app.delete('/webhooks/:id', {
    config: admin,
    schema: {
      tags,
      summary: 'Delete a webhook: nothing more is sent to it',
      security,
      params: webhookParams,
      response: { 200: z.object({ deleted: z.literal(true) }), ...errors, 404: posError },
    },
    handler: async (request) => {
      await webhooks.remove(request.params.id);
      return { deleted: true as const };
    },
  });

  app.get('/webhooks/:id/deliveries', {
    config: admin,
    schema: {
      tags,
      summary: "A webhook's deliveries, newest first",
      description: 'status narrows; limit 1–500 (default 100). Response bodies are not stored.',
      security,
      params: webhookParams,
      querystring: deliveriesQuery,
      response: { 200: z.array(deliverySchema), ...errors, 404: posError },
    },
    handler: (request) => webhooks.deliveries(request.params.id, request.query),
  });
};
