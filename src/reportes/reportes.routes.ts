import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { STAFF } from '../auth/roles.js';
import { posError } from '../core/schemas.js';
import {
  cajaHistorialSchema,
  cajaParams,
  dashboardQuery,
  dashboardSchema,
  movimientosCajaSchema,
  resumenQuery,
  resumenSchema,
  sessionParams,
} from './reportes.schemas.js';
import type { ReportesService } from './reportes.service.js';

const tags = ['reportes'];
const security = [{ bearerAuth: [] }];
const readers = { roles: STAFF };
const errors = { 400: posError, 401: posError, 403: posError };

export const reportesRoutes: FastifyPluginAsyncZod<{ reportes: ReportesService }> = async (app, { reportes }) => {
  app.get('/reportes/data/movimientos-caja/:idSesion', {
    config: readers,
    schema: {
      tags,
      summary: 'A session’s manual movements with their totals, for the cash-register PDF',
      description:
        'MANUAL movements only, oldest first; saldoActualTeorico is the session’s live teórico (a closed one’s ' +
        'monto_final_teorico), so montoInicial + neto need not equal it: sales and injections are not listed here.',
      security,
      params: sessionParams,
      response: { 200: movimientosCajaSchema, ...errors, 404: posError },
    },
    handler: (request) => reportes.movimientosCaja(request.params.idSesion),
  });

  app.get('/reportes/data/caja-historial/:id', {
    config: readers,
    schema: {
      tags,
      summary: 'Every movement of every session of a caja, for its history PDF',
      description:
        'Manual movements, top-ups, injections, adjustments and voids, oldest first; the opening counts (APERTURA) ' +
        'are left out. A caja without movements: empty lists and zero totals.',
      security,
      params: cajaParams,
      response: { 200: cajaHistorialSchema, ...errors, 404: posError },
    },
    handler: (request) => reportes.cajaHistorial(request.params.id),
  });

  app.get('/reportes/dashboard-stats', {
    config: readers,
    schema: {
      tags,
      summary: 'The home dashboard: today’s top-ups, the year by month and by operator',
      description:
        'This service’s sales are its top-ups: ventas_hoy = recargas_hoy. Today and months follow BUSINESS_TIMEZONE; ' +
        'commissions and stock are not tracked here (0).',
      security,
      querystring: dashboardQuery,
      response: { 200: dashboardSchema, ...errors },
    },
    handler: (request) => reportes.dashboard(request.query.anio),
  });

  app.get('/reportes/resumen', {
    config: readers,
    schema: {
      tags,
      summary: 'The back office’s days at a glance',
      description:
        'from/to: inclusive days (YYYY-MM-DD) in BUSINESS_TIMEZONE, at most 366 of them; default today. Sessions count ' +
        'by when they were opened; por_usuario is the seller; por_dia lists every day of the range.',
      security,
      querystring: resumenQuery,
      response: { 200: resumenSchema, ...errors },
    },
    handler: (request) => reportes.resumen(request.query),
  });
};
