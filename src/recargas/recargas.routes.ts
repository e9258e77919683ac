import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/auth.hook.js';
import { CASHIERS, STAFF, type Role } from '../auth/roles.js';
import { respondIdempotent } from '../core/idempotent-route.js';
import { posError } from '../core/schemas.js';
import {
  historialQuery,
  inyeccionBody,
  inyeccionSchema,
  operadoraSaldoSchema,
  recargaBody,
  recargaSchema,
} from './recargas.schemas.js';
import type { RecargasService } from './recargas.service.js';

const tags = ['recargas'];
const security = [{ bearerAuth: [] }];
const readers = { roles: STAFF };
const denied = { 401: posError, 403: posError };
const moneyErrors = { 400: posError, ...denied, 404: posError, 409: posError, 422: posError };
const historialDescription =
  'Newest first. With no query parameters, the complete history. Optional narrowing: operadora, id_caja_sesion, ' +
  'numero_cliente (no injection has one: on injections it matches none), from/to (ISO 8601, inclusive), page (≥1) ' +
  'and limit (1–1000, default 100).';

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
    handler: () => recargas.balances(),
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
    handler: (request) => recargas.sales(request.query),
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
    handler: (request) => recargas.injections(request.query),
  });
};
