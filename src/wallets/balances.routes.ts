import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/auth.hook.js';
import { ADMIN, CASHIERS, EVERYONE, STAFF } from '../auth/roles.js';
import { ok } from '../core/family.js';
import { respondIdempotent } from '../core/idempotent-route.js';
import { paged } from '../core/pagination.js';
import {
  balanceSchema,
  cancelTopupBody,
  ccrIdParams,
  confirmTopupBody,
  confirmedTopupSchema,
  createTopupBody,
  debitBody,
  debitSchema,
  driverIdParams,
  envelope,
  errorResponses as e,
  listTopupsQuery,
  movementSchema,
  movementsQuery,
  pagedEnvelope,
  topupListItemSchema,
  topupListMeta,
  topupSchema,
  walletIdParams,
} from './wallets.schemas.js';
import type { WalletsService } from './wallets.service.js';
import { sendShared } from '../core/shared-body.js';

const secured = [{ bearerAuth: [] }];
const idemHeader = 'Optional Idempotency-Key header: a retry with the same key and body replays the first response.';
const admin = { roles: ADMIN };
const staff = { roles: STAFF };
const everyone = { roles: EVERYONE };

export const balancesRoutes: FastifyPluginAsyncZod<{ wallets: WalletsService }> = async (app, { wallets }) => {
  const { topups, balances } = wallets;

  // Static paths (/topups, /me) are matched before /:driverId by the router.
  app.get('/drivers-balance/topups', {
    config: staff,
    schema: {
      tags: ['drivers-balance'],
      summary: 'List cash top-ups (Administrador, Operador, Usuario)',
      description:
        'Filters: status, driverId, collectionPointId, collectedByUserId, from, to (ISO 8601, inclusive). ' +
        'page (default 1), limit (1–100, default 10), sortBy createdAt|amount, sortDir asc|desc (default desc). Each ' +
        'item names its driver, point and collector, and keeps the confirm comment and cancel reason apart from the ' +
        'notes; meta adds totalAmount (the filtered records) and byCollectionPoint (count and amount per point).',
      security: secured,
      querystring: listTopupsQuery,
      response: {
        200: z.object({ success: z.literal(true), message: z.string(), data: z.array(topupListItemSchema), meta: topupListMeta }),
        400: e[400],
        401: e[401],
        403: e[403],
      },
    },
    handler: async (request) => {
      const { rows, meta } = await topups.list(request.query);
      return { success: true as const, message: 'Cash top-ups', data: rows, meta };
    },
  });

  app.get('/drivers-balance/topups/:ccrId', {
    config: staff,
    schema: {
      tags: ['drivers-balance'],
      summary: 'Get one cash top-up (Administrador, Operador, Usuario)',
      security: secured,
      params: ccrIdParams,
      response: { 200: envelope(topupListItemSchema), 400: e[400], 401: e[401], 403: e[403], 404: e[404] },
    },
    handler: async (request) => ok('Cash top-up', await topups.get(request.params.ccrId)),
  });

  app.post('/drivers-balance/:driverId/topups', {
    config: { roles: CASHIERS, idempotent: true },
    schema: {
      tags: ['drivers-balance'],
      summary: 'Create a pending cash top-up (Administrador, Operador)',
      description:
        'Records cash handed in at a collection point; the wallet is NOT credited until an Administrador confirms. ' +
        'An Operador may only name themselves as collectedByUserId. ' + idemHeader,
      security: secured,
      params: driverIdParams,
      body: createTopupBody,
      response: { 201: envelope(topupSchema), ...e },
    },
    handler: (request, reply) =>
      respondIdempotent(
        request,
        reply,
        201,
        (idem) => topups.create(actorOf(request), request.params.driverId, request.body, idem),
        (r) => ok('Cash top-up created; pending confirmation', r),
      ),
  });

  app.post('/drivers-balance/topups/:ccrId/confirm', {
    config: { ...admin, idempotent: true },
    schema: {
      tags: ['drivers-balance'],
      summary: 'Confirm a cash top-up: credits the wallet, irreversible (Administrador)',
      description: 'A second confirm, sequential or concurrent, is 409 CCR_ALREADY_COMPLETED. ' + idemHeader,
      security: secured,
      params: ccrIdParams,
      body: confirmTopupBody,
      response: { 200: envelope(confirmedTopupSchema), ...e },
    },
    handler: (request, reply) =>
      respondIdempotent(
        request,
        reply,
        200,
        (idem) => topups.confirm(actorOf(request), request.params.ccrId, request.body?.comment, idem),
        (r) => ok('Cash top-up confirmed', r),
      ),
  });

  app.post('/drivers-balance/topups/:ccrId/cancel', {
    config: { ...admin, idempotent: true },
    schema: {
      tags: ['drivers-balance'],
      summary: 'Cancel a pending cash top-up (Administrador)',
      description: 'Nothing is credited; a confirmed top-up cannot be cancelled (409). ' + idemHeader,
      security: secured,
      params: ccrIdParams,
      body: cancelTopupBody,
      response: { 200: envelope(topupSchema), ...e },
    },
    handler: (request, reply) =>
      respondIdempotent(
        request,
        reply,
        200,
        (idem) => topups.cancel(actorOf(request), request.params.ccrId, request.body.reason, idem),
        (r) => ok('Cash top-up cancelled', r),
      ),
  });

  app.get('/drivers-balance/me', {
    config: { roles: ['Conductor'] as const },
    schema: {
      tags: ['drivers-balance'],
      summary: 'The calling Conductor’s own wallet balance (Conductor)',
      security: secured,
      response: { 200: envelope(balanceSchema), 401: e[401], 403: e[403], 404: e[404] },
    },
    handler: async (request, reply) => sendShared(request, reply, await balances.myBalance(actorOf(request)), (b) => ok('Wallet balance', b)),
  });

  app.get('/drivers-balance/:driverId', {
    config: everyone,
    schema: {
      tags: ['drivers-balance'],
      summary: 'A driver’s wallet balance (all roles; a Conductor only their own)',
      description: 'currentWalletBalance counts confirmed money only; pendingTopupsAmount sums the pending top-ups.',
      security: secured,
      params: driverIdParams,
      response: { 200: envelope(balanceSchema), 400: e[400], 401: e[401], 403: e[403], 404: e[404] },
    },
    handler: async (request, reply) => sendShared(request, reply, await balances.balance(actorOf(request), request.params.driverId), (b) => ok('Wallet balance', b)),
  });

  app.get('/drivers-balance/:walletId/movements', {
    config: everyone,
    schema: {
      tags: ['drivers-balance'],
      summary: 'A wallet’s movements (all roles; a Conductor only their own)',
      description:
        'page (≥1, default 1), limit (1–100, default 10), transactionId, from/to (ISO 8601, inclusive; a bare date ' +
        'covers the day), search (note or description, case-insensitive), sortBy createdAt|amount, sortDir asc|desc ' +
        '(default desc); ties are ordered by id.',
      security: secured,
      params: walletIdParams,
      querystring: movementsQuery,
      response: { 200: pagedEnvelope(movementSchema), 400: e[400], 401: e[401], 403: e[403], 404: e[404] },
    },
    handler: async (request) => {
      const { rows, meta } = await balances.movements(actorOf(request), request.params.walletId, request.query);
      return paged('Wallet movements', rows, meta);
    },
  });

  app.post('/drivers-balance/:driverId/debits', {
    config: { ...admin, idempotent: true },
    schema: {
      tags: ['drivers-balance'],
      summary: 'Debit a wallet: commission, penalty, plan purchase or adjustment (Administrador)',
      description:
        'Refused with 409 WALLET_BLOCKED on a blocked wallet and 409 INSUFFICIENT_FUNDS below −allowedNegativeLimit. ' +
        idemHeader,
      security: secured,
      params: driverIdParams,
      body: debitBody,
      response: { 201: envelope(debitSchema), ...e },
    },
    handler: (request, reply) =>
      respondIdempotent(
        request,
        reply,
        201,
        (idem) => balances.debit(actorOf(request), request.params.driverId, request.body, idem),
        (r) => ok('Wallet debited', r),
      ),
  });
};
