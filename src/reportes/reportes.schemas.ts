import { z } from 'zod';
import { posMoney, timestamp } from '../core/money.schemas.js';
import { intIdParam, queryInt } from '../core/schemas.js';
import { OPERADORAS } from '../db/tables/recargas.js';

// The cash reports and dashboard existing POS front ends call (API.md §6.2),
// in the POS family: amounts are JSON numbers (posMoney), counts integers.
// Days and months are in BUSINESS_TIMEZONE.

export const sessionParams = z.object({ idSesion: intIdParam });
export const cajaParams = z.object({ id: intIdParam });

const totales = z.object({ ingresos: posMoney, egresos: posMoney, neto: posMoney });
const tipo = z.enum(['INGRESO', 'EGRESO']);

export const movimientosCajaSchema = z
  .object({
    sesion: z.object({
      id: z.number(),
      cajaNombre: z.string(),
      fechaApertura: timestamp,
      fechaCierre: timestamp.nullable(),
      montoInicial: posMoney,
      saldoActualTeorico: posMoney,
    }),
    movimientos: z.array(z.object({ id: z.number(), fecha: timestamp, tipo, motivo: z.string(), monto: posMoney })),
    totales,
  })
  .meta({ id: 'ReporteMovimientosCaja' });
export type MovimientosCaja = z.output<typeof movimientosCajaSchema>;

export const cajaHistorialSchema = z
  .object({
    caja: z.object({ id: z.number(), nombre: z.string() }),
    movimientos: z.array(z.object({ id: z.number(), fecha: timestamp, id_sesion: z.number(), tipo, motivo: z.string(), monto: posMoney })),
    totales,
  })
  .meta({ id: 'ReporteCajaHistorial' });
export type CajaHistorial = z.output<typeof cajaHistorialSchema>;

export const MESES = ['Ene', 'Feb', 'Mar', 'Abr', 'May', 'Jun', 'Jul', 'Ago', 'Sep', 'Oct', 'Nov', 'Dic'] as const;

export const dashboardQuery = z.object({
  anio: queryInt(2000, 2999).optional().meta({ description: 'The year of ventas_mensuales and recargas_distribucion (default: the current one)' }),
});

export const dashboardSchema = z
  .object({
    kpis: z.object({ ventas_hoy: posMoney, recargas_hoy: posMoney, ganancia_comisiones_hoy: posMoney, productos_stock_bajo: z.number() }),
    ventas_mensuales: z.array(z.object({ mes: z.enum(MESES), total: posMoney })),
    top_productos: z.array(z.unknown()),
    recargas_distribucion: z.array(z.object({ proveedor: z.enum(OPERADORAS), total: posMoney })),
  })
  .meta({ id: 'DashboardStats' });
export type Dashboard = z.output<typeof dashboardSchema>;

const day = z.iso.date().meta({ description: 'YYYY-MM-DD, inclusive, in BUSINESS_TIMEZONE' });

// Zod runs an object's refinements after a field failed too: the range is
// only judged between two valid days (an invalid one has its own 400).
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const bothDays = (q: { from?: string | undefined; to?: string | undefined }): q is { from: string; to: string } =>
  DAY.test(q.from ?? '') && DAY.test(q.to ?? '') && !Number.isNaN(Date.parse(q.from!)) && !Number.isNaN(Date.parse(q.to!));

export const resumenQuery = z
  .object({ from: day.optional(), to: day.optional() })
  .refine((q) => !bothDays(q) || q.from <= q.to, { message: '`from` must not be after `to`', path: ['from'] })
  .refine((q) => !bothDays(q) || (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < 366, {
    message: 'a summary spans at most 366 days',
    path: ['to'],
  });

const cantidadTotal = { cantidad: z.number(), total: posMoney };

export const resumenSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    recargas: z.object({ ...cantidadTotal, anuladas: z.number() }),
    por_operadora: z.array(z.object({ operadora: z.enum(OPERADORAS), ...cantidadTotal })),
    por_usuario: z.array(z.object({ id_usuario: z.string(), nombres: z.string(), ...cantidadTotal })),
    inyecciones: z.object(cantidadTotal),
    sesiones: z.object({
      abiertas: z.number(),
      cerradas: z.number(),
      con_diferencia: z.array(
        z.object({ id: z.number(), id_caja: z.number(), id_usuario: z.string(), diferencia: posMoney, observacion: z.string().nullable() }),
      ),
    }),
    por_dia: z.array(z.object({ dia: z.string(), ...cantidadTotal })),
  })
  .meta({ id: 'ResumenDia' });
export type Resumen = z.output<typeof resumenSchema>;
