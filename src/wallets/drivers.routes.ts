import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ADMIN, STAFF } from '../auth/roles.js';
import { ok } from '../core/family.js';
import { paged } from '../core/pagination.js';
import {
  createDriverBody,
  createPointBody,
  driverSchema,
  envelope,
  errorResponses as e,
  idParams,
  listDriversQuery,
  listPointsQuery,
  pagedEnvelope,
  pointSchema,
  updatePointBody,
} from './wallets.schemas.js';
import type { WalletsService } from './wallets.service.js';

const secured = [{ bearerAuth: [] }];
const admin = { roles: ADMIN };
const staff = { roles: STAFF };

export const driversRoutes: FastifyPluginAsyncZod<{ wallets: WalletsService }> = async (app, { wallets }) => {
  const { drivers, points } = wallets;

  app.post('/drivers', {
    config: admin,
    schema: {
      tags: ['drivers'],
      summary: 'Create a driver and their wallet (Administrador)',
      description:
        'The wallet starts active, in DEFAULT_CURRENCY, at 0.00. With email and password the driver also gets a ' +
        'Conductor login that reads only their own wallet. allowedNegativeLimit (default "0.00") lets debits take ' +
        'the wallet that far below zero.',
      security: secured,
      body: createDriverBody,
      response: { 201: envelope(driverSchema), 400: e[400], 401: e[401], 403: e[403], 409: e[409] },
    },
    handler: async (request, reply) => reply.code(201).send(ok('Driver created', await drivers.create(request.body))),
  });

  app.get('/drivers', {
    config: staff,
    schema: {
      tags: ['drivers'],
      summary: 'List drivers, newest first (Administrador, Operador, Usuario)',
      description: 'Paginated: page (default 1), limit (1–100, default 50). A Conductor gets 403.',
      security: secured,
      querystring: listDriversQuery,
      response: { 200: pagedEnvelope(driverSchema), 400: e[400], 401: e[401], 403: e[403] },
    },
    handler: async (request) => {
      const { rows, meta } = await drivers.list(request.query);
      return paged('Drivers', rows, meta);
    },
  });

  app.get('/drivers/:id', {
    config: staff,
    schema: {
      tags: ['drivers'],
      summary: 'Get a driver (Administrador, Operador, Usuario)',
      security: secured,
      params: idParams,
      response: { 200: envelope(driverSchema), 400: e[400], 401: e[401], 403: e[403], 404: e[404] },
    },
    handler: async (request) => ok('Driver', await drivers.get(request.params.id)),
  });

  app.post('/cash-collection-points', {
    config: admin,
    schema: {
      tags: ['cash-collection-points'],
      summary: 'Create a cash collection point (Administrador)',
      security: secured,
      body: createPointBody,
      response: { 201: envelope(pointSchema), 400: e[400], 401: e[401], 403: e[403] },
    },
    handler: async (request, reply) =>
      reply.code(201).send(ok('Cash collection point created', await points.create(request.body))),
  });

  app.get('/cash-collection-points', {
    config: staff,
    schema: {
      tags: ['cash-collection-points'],
      summary: 'List cash collection points, newest first (Administrador, Operador, Usuario)',
      description:
        'Paginated: page (default 1), limit (1–100, default 50); isActive=true|false narrows; usableBy=<user id> keeps the ' +
        'points where that user may record cash top-ups (no staff named, or them among it). staffUserIds names the ' +
        'Operadores who staff a point: when not empty, only they (and any Administrador) record top-ups there (403).',
      security: secured,
      querystring: listPointsQuery,
      response: { 200: pagedEnvelope(pointSchema), 400: e[400], 401: e[401], 403: e[403] },
    },
    handler: async (request) => {
      const { rows, meta } = await points.list(request.query);
      return paged('Cash collection points', rows, meta);
    },
  });

  app.get('/cash-collection-points/:id', {
    config: staff,
    schema: {
      tags: ['cash-collection-points'],
      summary: 'Get a cash collection point (Administrador, Operador, Usuario)',
      security: secured,
      params: idParams,
      response: { 200: envelope(pointSchema), 400: e[400], 401: e[401], 403: e[403], 404: e[404] },
    },
    handler: async (request) => ok('Cash collection point', await points.get(request.params.id)),
  });

  app.patch('/cash-collection-points/:id', {
    config: admin,
    schema: {
      tags: ['cash-collection-points'],
      summary: 'Update a cash collection point (Administrador)',
      description: 'isActive=false stops new top-ups there; pending ones can still be confirmed or cancelled.',
      security: secured,
      params: idParams,
      body: updatePointBody,
      response: { 200: envelope(pointSchema), 400: e[400], 401: e[401], 403: e[403], 404: e[404] },
    },
    handler: async (request) =>
      ok('Cash collection point updated', await points.update(request.params.id, request.body)),
  });
};
