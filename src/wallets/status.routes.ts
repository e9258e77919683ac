import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../auth/auth.hook.js';
import { ADMIN, STAFF } from '../auth/roles.js';
import { ok } from '../core/family.js';
import { paged } from '../core/pagination.js';
import {
  driverIdParams,
  envelope,
  errorResponses as e,
  historyQuery,
  pagedEnvelope,
  statusChangeBody,
  statusChangeSchema,
  statusHistorySchema,
} from './wallets.schemas.js';
import type { WalletsService } from './wallets.service.js';

const secured = [{ bearerAuth: [] }];
const responses = { 200: envelope(statusChangeSchema), 400: e[400], 401: e[401], 403: e[403], 404: e[404] };

export const statusRoutes: FastifyPluginAsyncZod<{ wallets: WalletsService }> = async (app, { wallets }) => {
  const { status } = wallets;

  app.post('/wallets-status/:driverId/block', {
    config: { roles: ADMIN },
    schema: {
      tags: ['wallets-status'],
      summary: 'Block a driver’s wallet (Administrador; idempotent)',
      description: 'Debits are refused while blocked; top-ups can still be created and confirmed. Already blocked → 200, changed: false.',
      security: secured,
      params: driverIdParams,
      body: statusChangeBody,
      response: responses,
    },
    handler: async (request) => {
      const r = await status.block(actorOf(request), request.params.driverId, request.body ?? {});
      return ok(r.changed ? 'Wallet blocked' : 'Wallet was already blocked; nothing changed', r);
    },
  });

  app.post('/wallets-status/:driverId/unblock', {
    config: { roles: ADMIN },
    schema: {
      tags: ['wallets-status'],
      summary: 'Unblock a driver’s wallet (Administrador; idempotent)',
      description: 'Already active → 200, changed: false.',
      security: secured,
      params: driverIdParams,
      body: statusChangeBody,
      response: responses,
    },
    handler: async (request) => {
      const r = await status.unblock(actorOf(request), request.params.driverId, request.body ?? {});
      return ok(r.changed ? 'Wallet unblocked' : 'Wallet was already active; nothing changed', r);
    },
  });

  app.get('/wallets-status/:driverId/history', {
    config: { roles: STAFF },
    schema: {
      tags: ['wallets-status'],
      summary: 'Every status change of a driver’s wallet, newest first (Administrador, Operador, Usuario)',
      description: 'Paginated: page (default 1), limit (1–100, default 50).',
      security: secured,
      params: driverIdParams,
      querystring: historyQuery,
      response: { ...responses, 200: pagedEnvelope(statusHistorySchema) },
    },
    handler: async (request) => {
      const { rows, meta } = await status.history(request.params.driverId, request.query);
      return paged('Wallet status history', rows, meta);
    },
  });
};
