import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/auth.hook.js';
import { ADMIN, CASHIERS, STAFF } from '../auth/roles.js';
import { respondIdempotent } from '../core/idempotent-route.js';
import { posMoney } from '../core/money.schemas.js';
import { posError } from '../core/schemas.js';
import {
  cajaIdParams,
  cajaSchema,
  cajaSessionItem,
  cajaSessionsQuery,
  closeSessionBody,
  createCajaBody,
  createdCajaSchema,
  movementBody,
  movementListItem,
  movementSchema,
  openSessionBody,
  sessionIdParams,
  sessionSchema,
  updateCajaBody,
  userIdParams,
} from './cajas.schemas.js';
import type { CajasService } from './cajas.service.js';
import type { SessionsService } from './sessions.service.js';

const tags = ['cajas'];
const security = [{ bearerAuth: [] }];
const admin = { roles: ADMIN };
const cashier = { roles: CASHIERS };
const readers = { roles: STAFF };
const denied = { 401: posError, 403: posError };
const invalid = { 400: posError, ...denied };
const moneyErrors = { ...invalid, 404: posError, 409: posError, 422: posError };

export const cajasRoutes: FastifyPluginAsyncZod<{ cajas: CajasService; sessions: SessionsService }> = async (app, { cajas, sessions }) => {
  app.post('/cajas', {
    config: { ...admin, idempotent: true },
    schema: {
      tags,
      summary: 'Create a cash register; an initial saldo is booked as an opening movement',
      description: 'An initial saldo moves money (world → caja): the request accepts an Idempotency-Key header.',
      security,
      body: createCajaBody,
      response: { 201: createdCajaSchema, ...invalid, 422: posError },
    },
    handler: (request, reply) => respondIdempotent(request, reply, 201, (idem) => cajas.create(actorOf(request), request.body, idem)),
  });

  app.get('/cajas', {
    config: readers,
    schema: { tags, summary: 'List cash registers with their saldo and open session', security, response: { 200: z.array(cajaSchema), ...denied } },
    handler: () => cajas.list(),
  });

  app.get('/cajas/sesion-activa', {
    config: readers,
    schema: { tags, summary: 'The caller’s open session (404 when none)', security, response: { 200: sessionSchema, ...denied, 404: posError } },
    handler: (request) => sessions.active(actorOf(request)),
  });

  app.get('/cajas/sesion-activa/:id_usuario', {
    config: readers,
    schema: {
      tags,
      summary: 'A user’s open session: the caller’s own, or anyone’s for an Administrador',
      security,
      params: userIdParams,
      response: { 200: sessionSchema, ...invalid, 404: posError },
    },
    handler: (request) => sessions.active(actorOf(request), request.params.id_usuario),
  });

  app.get('/cajas/:id', {
    config: readers,
    schema: { tags, summary: 'Get a cash register', security, params: cajaIdParams, response: { 200: cajaSchema, ...invalid, 404: posError } },
    handler: (request) => cajas.get(request.params.id),
  });

  app.get('/cajas/:id/sesiones', {
    config: readers,
    schema: {
      tags,
      summary: 'A cash register’s sessions (arqueos), newest first, with their cashier',
      description:
        'Each as GET /cajas/sesion/:id plus usuario {id, nombres}. Filters: estado (ABIERTA|CERRADA), id_usuario, ' +
        'from/to (ISO 8601 on fecha_apertura, inclusive). page (default 1) and limit (1–200, default 50): a bare array, ' +
        'the total in the X-Total-Count header.',
      security,
      params: cajaIdParams,
      querystring: cajaSessionsQuery,
      response: { 200: z.array(cajaSessionItem), ...invalid, 404: posError },
    },
    handler: async (request, reply) => {
      const { rows, total } = await sessions.ofCaja(request.params.id, request.query);
      return reply.header('x-total-count', String(total)).send(rows);
    },
  });

  app.patch('/cajas/:id', {
    config: admin,
    schema: {
      tags,
      summary: 'Rename a cash register or change its especialidad (never its saldo)',
      security,
      params: cajaIdParams,
      body: updateCajaBody,
      response: { 200: cajaSchema, ...invalid, 404: posError },
    },
    handler: (request) => cajas.update(request.params.id, request.body),
  });

  app.delete('/cajas/:id', {
    config: admin,
    schema: {
      tags,
      summary: 'Deactivate a cash register (409 while a session is open)',
      security,
      params: cajaIdParams,
      response: { 200: cajaSchema, ...invalid, 404: posError, 409: posError },
    },
    handler: (request) => cajas.deactivate(request.params.id),
  });

  app.post('/cajas/abrir', {
    config: { ...cashier, idempotent: true },
    schema: {
      tags,
      summary: 'Open a session on a cash register for the caller',
      description:
        'monto_inicial defaults to the caja’s saldo; a different counted amount is booked as an AJUSTE movement. ' +
        'One open session per caja and per user. Accepts an Idempotency-Key header.',
      security,
      body: openSessionBody,
      response: { 201: sessionSchema, ...moneyErrors },
    },
    handler: (request, reply) => respondIdempotent(request, reply, 201, (idem) => sessions.open(actorOf(request), request.body, idem)),
  });

  app.post('/cajas/movimiento', {
    config: { ...cashier, idempotent: true },
    schema: {
      tags,
      summary: 'Record a manual cash INGRESO or EGRESO on a session',
      description: 'An EGRESO larger than the cash in the register is refused (409). Accepts an Idempotency-Key header.',
      security,
      body: movementBody,
      response: { 201: movementSchema, ...moneyErrors },
    },
    handler: (request, reply) => respondIdempotent(request, reply, 201, (idem) => sessions.addMovement(actorOf(request), request.body, idem)),
  });

  app.get('/cajas/sesion/:id', {
    config: readers,
    schema: {
      tags,
      summary: 'A session with its totals (teórico is live while open)',
      security,
      params: sessionIdParams,
      response: { 200: sessionSchema, ...invalid, 404: posError },
    },
    handler: (request) => sessions.get(request.params.id),
  });

  app.get('/cajas/sesion/:id/movimientos', {
    config: readers,
    schema: {
      tags,
      summary: 'Every movement of a session, oldest first',
      security,
      params: sessionIdParams,
      response: { 200: z.array(movementListItem), ...invalid, 404: posError },
    },
    handler: (request) => sessions.movements(request.params.id),
  });

  app.get('/cajas/sesion/:id/balance', {
    config: readers,
    schema: {
      tags,
      summary: 'The session’s teórico as a bare JSON number',
      security,
      params: sessionIdParams,
      response: { 200: posMoney.meta({ example: 710.5 }), ...invalid, 404: posError },
    },
    handler: async (request) => (await sessions.get(request.params.id)).monto_final_teorico,
  });

  app.patch('/cajas/sesion/:id/cerrar', {
    config: { ...cashier, idempotent: true },
    schema: {
      tags,
      summary: 'Close a session with the counted cash',
      description:
        'diferencia = real − teórico is booked so the caja’s saldo equals the count. After this returns nothing ' +
        'more can land on the session (409).',
      security,
      params: sessionIdParams,
      body: closeSessionBody,
      response: { 200: sessionSchema, ...moneyErrors },
    },
    handler: (request, reply) =>
      respondIdempotent(request, reply, 200, (idem) => sessions.close(actorOf(request), request.params.id, request.body, idem)),
  });
};
