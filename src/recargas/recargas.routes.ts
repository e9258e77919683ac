import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/auth.hook.js';
import { ADMIN, CASHIERS, STAFF, type Role } from '../auth/roles.js';
import { respondIdempotent } from '../core/idempotent-route.js';
import { posError } from '../core/schemas.js';
import { jsonArrayStream } from '../core/json-stream.js';
import { historyPage } from './recargas.queries.js';
import {
  anularBody,
  historialQuery,
  inyeccionBody,
  inyeccionSchema,
  operadoraParams,
  operadoraPatchBody,
  operadoraSaldoSchema,
  recargaParams,
  recargaBody,
  recargaSchema,
} from './recargas.schemas.js';
import type { RecargasService } from './recargas.service.js';
import { sendShared } from '../core/shared-body.js';

const tags = ['recargas'];
const security = [{ bearerAuth: [] }];
const readers = { roles: STAFF };
const denied = { 401: posError, 403: posError };
const moneyErrors = { 400: posError, ...denied, 404: posError, 409: posError, 422: posError };
const historialDescription =
  'Newest first. With neither page nor limit, the complete history, streamed as it is read. Optional narrowing: ' +
  'operadora, id_caja_sesion, numero_cliente (exact), buscar (digits anywhere in the number; no injection has a number: ' +
  'on injections either matches none), from/to (ISO 8601, inclusive). With page (≥1) and/or limit (1–1000, default ' +
  '100): one page, still a bare array, and the total in the X-Total-Count header.';

/** A list streamed as it is read (jsonArrayStream): Fastify pipes it instead of serializing it. */
const sendStream = (reply: FastifyReply, stream: Readable) => reply.type('application/json; charset=utf-8').send(stream);

export const recargasRoutes: FastifyPluginAsyncZod<{ recargas: RecargasService; injectionRoles: readonly Role[] }> = async (app, { recargas, injectionRoles }) => {
  app.post('/recargas/cliente', {
    config: { roles: CASHIERS, idempotent: true },
    schema: {
      tags,
      summary: 'Sell a mobile top-up to a client',
      description:
        'Atomically: the operator’s saldo_actual −monto, the session’s cash +monto (INGRESO). Insufficient saldo_actual ' +
        'or a closed session: 409. Accepts an Idempotency-Key header.',
      security,
      body: recargaBody,
      response: { 201: recargaSchema, ...moneyErrors },
    },
    handler: (request, reply) => respondIdempotent(request, reply, 201, (idem) => recargas.sell(actorOf(request), request.body, idem)),
  });

  app.post('/recargas/inyeccion', {
    config: { roles: injectionRoles, idempotent: true },
    schema: {
      tags,
      summary: 'Buy operator float with cash from a session',
      description:
        'Atomically: the session’s cash −monto (EGRESO), the operator’s saldo_actual +monto. Not enough cash in the ' +
        'register: 409. Administrador on any session; with INJECTION_ROLES including Operador, an Operador on their own ' +
        'session (403 on another’s). Accepts an Idempotency-Key header.',
      security,
      body: inyeccionBody,
      response: { 201: inyeccionSchema, ...moneyErrors },
    },
    handler: (request, reply) => respondIdempotent(request, reply, 201, (idem) => recargas.inject(actorOf(request), request.body, idem)),
  });

  app.get('/recargas/operadoras/saldos', {
    config: readers,
    schema: { tags, summary: 'Each operator’s saldo_actual', security, response: { 200: z.array(operadoraSaldoSchema), ...denied } },
    handler: async (request, reply) => sendShared(request, reply, await recargas.balances()),
  });

  app.patch('/recargas/operadoras/:id', {
    config: { roles: ADMIN },
    schema: {
      tags,
      summary: 'Set an operator’s minimum float (bajo_minimo below it)',
      security,
      params: operadoraParams,
      body: operadoraPatchBody,
      response: { 200: operadoraSaldoSchema, 400: posError, ...denied, 404: posError },
    },
    handler: (request) => recargas.setMinimum(request.params.id, request.body.saldo_minimo),
  });

  app.get('/recargas/cliente/:id', {
    config: readers,
    schema: {
      tags,
      summary: 'One client top-up (for its ticket)',
      security,
      params: recargaParams,
      response: { 200: recargaSchema, 400: posError, ...denied, 404: posError },
    },
    handler: (request) => recargas.sale(request.params.id),
  });

  app.post('/recargas/cliente/:id/anular', {
    config: { roles: ADMIN, idempotent: true },
    schema: {
      tags,
      summary: 'Void a mistaken top-up while its session is open',
      description:
        'Atomically: the float gets the amount back and the session’s cash gives it up (an ANULACION movement, EGRESO, ' +
        'counted in total_egresos). Closed session, already voided, or not enough cash in the register: 409. Accepts ' +
        'an Idempotency-Key header.',
      security,
      params: recargaParams,
      body: anularBody,
      response: { 200: recargaSchema, ...moneyErrors },
    },
    handler: (request, reply) =>
      respondIdempotent(request, reply, 200, (idem) => recargas.annul(actorOf(request), request.params.id, request.body.motivo, idem)),
  });

  app.get('/recargas/historial/clientes', {
    config: readers,
    schema: {
      tags,
      summary: 'History of client top-ups',
      description: historialDescription,
      security,
      querystring: historialQuery,
      response: { 200: z.array(recargaSchema), 400: posError, ...denied },
    },
    handler: async (request, reply) => {
      const page = historyPage(request.query);
      if (!page) return sendStream(reply, jsonArrayStream(recargas.salesChunks(request.query), (r) => z.encode(recargaSchema, r)));
      const { rows, total } = await recargas.salesPage(request.query, page);
      return reply.header('x-total-count', String(total)).send(rows);
    },
  });

  app.get('/recargas/historial/inyecciones', {
    config: readers,
    schema: {
      tags,
      summary: 'History of operator injections',
      description: historialDescription,
      security,
      querystring: historialQuery,
      response: { 200: z.array(inyeccionSchema), 400: posError, ...denied },
    },
    handler: async (request, reply) => {
      const page = historyPage(request.query);
      if (!page) return sendStream(reply, jsonArrayStream(recargas.injectionsChunks(request.query), (r) => z.encode(inyeccionSchema, r)));
      const { rows, total } = await recargas.injectionsPage(request.query, page);
      return reply.header('x-total-count', String(total)).send(rows);
    },
  });
};
