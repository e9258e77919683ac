import { z } from 'zod';
import { MAX_PAGE } from '../core/pagination.js';
import { posAmount, posMoney, timestamp } from '../core/money.schemas.js';
import { fromDate, intId, intIdParam, nonEmptyText, queryInt, toDate } from '../core/schemas.js';
import { OPERADORAS } from '../db/tables/recargas.js';

// Request and response schemas of §3, as the Recargas seed defines them. The
// domain types are the response schemas' output (bigint cents, Dates).

export const operadora = z.enum(OPERADORAS);
export const numeroCliente = z.string().regex(/^\+?\d{6,15}$/, 'must be 6 to 15 digits, optionally with a leading +');

export const recargaBody = z
  .object({ operadora, numero_cliente: numeroCliente, monto: posAmount('0.1'), id_caja_sesion: intId })
  .meta({ example: { operadora: 'Tigo', numero_cliente: '78945612', monto: 10.5, id_caja_sesion: 101 } });

export const inyeccionBody = z
  .object({ operadora_destino: operadora, monto: posAmount('1'), id_caja_sesion: intId })
  .meta({ example: { operadora_destino: 'Tigo', monto: 100, id_caja_sesion: 101 } });

export const recargaSchema = z
  .object({
    id: z.number(),
    operadora,
    numero_cliente: z.string(),
    monto: posMoney,
    fecha_hora: timestamp,
    id_caja_sesion: z.number(),
    estado: z.enum(['COMPLETADA', 'ANULADA']),
    anulada_en: timestamp.nullable(),
    anulada_por: z.string().nullable(),
    motivo_anulacion: z.string().nullable(),
  })
  .meta({
    id: 'RecargaCliente',
    example: {
      id: 1,
      operadora: 'Tigo',
      numero_cliente: '78945612',
      monto: 10.5,
      fecha_hora: '2026-01-15T12:00:00.000Z',
      id_caja_sesion: 101,
      estado: 'COMPLETADA',
      anulada_en: null,
      anulada_por: null,
      motivo_anulacion: null,
    },
  });
export type Recarga = z.output<typeof recargaSchema>;

export const inyeccionSchema = z
  .object({ id: z.number(), operadora_destino: operadora, monto: posMoney, fecha_hora: timestamp, id_caja_origen: z.number() })
  .meta({
    id: 'InyeccionOperadora',
    example: { id: 1, operadora_destino: 'Tigo', monto: 100, fecha_hora: '2026-01-15T11:00:00.000Z', id_caja_origen: 101 },
  });
export type Inyeccion = z.output<typeof inyeccionSchema>;

export const operadoraSaldoSchema = z
  .object({
    id: z.number(),
    nombre_operadora: operadora,
    saldo_actual: posMoney,
    saldo_minimo: posMoney,
    bajo_minimo: z.boolean().meta({ description: 'saldo_actual < saldo_minimo' }),
  })
  .meta({ id: 'OperadoraSaldo', example: { id: 1, nombre_operadora: 'Tigo', saldo_actual: 89.5, saldo_minimo: 100, bajo_minimo: true } });
export type OperadoraSaldo = z.output<typeof operadoraSaldoSchema>;

export const operadoraParams = z.object({ id: intIdParam });
export const operadoraPatchBody = z.object({ saldo_minimo: posAmount('0') }).meta({ example: { saldo_minimo: 100 } });

export const recargaParams = z.object({ id: intIdParam });
export const anularBody = z.object({ motivo: nonEmptyText(250) }).meta({ example: { motivo: 'Número equivocado' } });

/** Optional narrowing of the histories; with none, the full list (as the seed says). */
export const historialQuery = z.object({
  operadora: operadora.optional(),
  id_caja_sesion: queryInt(1, 2147483647).optional(),
  numero_cliente: numeroCliente.optional(),
  buscar: z
    .string()
    .regex(/^\d{2,15}$/, 'must be 2 to 15 digits')
    .optional()
    .meta({ description: 'Digits found anywhere in numero_cliente (numero_cliente itself matches exactly)' }),
  from: fromDate.optional(),
  to: toDate.optional(),
  page: queryInt(1, MAX_PAGE).optional(),
  limit: queryInt(1, 1000).optional(),
});
export type HistorialQuery = z.output<typeof historialQuery>;
