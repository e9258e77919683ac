import { z } from 'zod';
import { posAmount, posMoney, timestamp } from '../core/money.schemas.js';
import { pageQuery } from '../core/pagination.js';
import { charCount, fromDate, intId, intIdParam, nonEmptyText, text, toDate, uuidV4 } from '../core/schemas.js';

// Request and response schemas of §2. Amounts are JSON numbers on the wire
// and bigint cents inside (the money codecs); the domain types below are the
// response schemas' output, so a service returns exactly what may be shown.

const especialidad = z.enum(['SOLO_VENTAS', 'SOLO_AGENTES', 'MIXTA']);
const nombre = nonEmptyText().refine((s) => charCount(s.trim()) >= 3, 'must be at least 3 characters');
const tipo = z.enum(['INGRESO', 'EGRESO']);
export const origenes = ['MANUAL', 'RECARGA', 'INYECCION', 'APERTURA', 'AJUSTE', 'ANULACION'] as const;

export const cajaIdParams = z.object({ id: intIdParam });
export const sessionIdParams = z.object({ id: intIdParam });
export const userIdParams = z.object({ id_usuario: uuidV4 });

export const createCajaBody = z
  .object({ nombre, especialidad: especialidad.optional(), saldo: posAmount('0').optional() })
  .meta({ example: { nombre: 'Caja 1', especialidad: 'MIXTA', saldo: 500 } });

export const updateCajaBody = z
  .object({ nombre: nombre.optional(), especialidad: especialidad.optional() })
  .meta({ example: { nombre: 'Caja principal' } });

export const openSessionBody = z
  .object({ id_caja: intId, monto_inicial: posAmount('0').optional() })
  .meta({ example: { id_caja: 1, monto_inicial: 500 } });

export const movementBody = z
  .object({ tipo, monto: posAmount('0.1'), motivo: nonEmptyText(), id_sesion_caja: intId })
  .meta({ example: { tipo: 'EGRESO', monto: 25.5, motivo: 'Compra de bolsas', id_sesion_caja: 101 } });

const conteo = z
  .array(z.object({ denominacion: posAmount('0.01'), cantidad: z.number().int().min(0).max(1_000_000) }))
  .max(100)
  .meta({ description: 'The count by notes and coins: Σ denominacion × cantidad must equal monto_final_real' });

/** Zod runs an object's refinements after a field failed too: then the amounts are not cents yet (that field's 400 answers). */
const isDecoded = (b: { monto_final_real: unknown; conteo?: Array<{ denominacion: unknown; cantidad: unknown }> | undefined }) =>
  typeof b.monto_final_real === 'bigint' && (b.conteo ?? []).every((c) => typeof c.denominacion === 'bigint' && Number.isInteger(c.cantidad));

export const closeSessionBody = z
  .object({ monto_final_real: posAmount('0'), observacion: text(500).optional(), conteo: conteo.optional() })
  .refine((b) => !b.conteo || !isDecoded(b) || b.conteo.reduce((sum, c) => sum + c.denominacion * BigInt(c.cantidad), 0n) === b.monto_final_real, {
    message: 'the count (Σ denominacion × cantidad) must equal monto_final_real',
    path: ['conteo'],
  })
  .meta({
    example: { monto_final_real: 710.5, observacion: 'Cierre normal', conteo: [{ denominacion: 100, cantidad: 7 }, { denominacion: 10.5, cantidad: 1 }] },
  });

export const sessionSchema = z
  .object({
    id: z.number(),
    id_caja: z.number(),
    id_usuario: z.string(),
    estado_sesion: z.enum(['ABIERTA', 'CERRADA']),
    monto_inicial: posMoney,
    total_ingresos: posMoney,
    total_egresos: posMoney,
    monto_final_teorico: posMoney,
    monto_final_real: posMoney.nullable(),
    diferencia: posMoney.nullable(),
    fecha_apertura: timestamp,
    fecha_cierre: timestamp.nullable(),
    observacion: z.string().nullable(),
    conteo: z.array(z.object({ denominacion: posMoney, cantidad: z.number() })).nullable(),
  })
  .meta({
    id: 'CajaSesion',
    example: {
      id: 101,
      id_caja: 1,
      id_usuario: '6f1c2a9e-3b7d-4c55-9a51-0d2f8e4b7c10',
      estado_sesion: 'ABIERTA',
      monto_inicial: 500,
      total_ingresos: 231,
      total_egresos: 20.5,
      monto_final_teorico: 710.5,
      monto_final_real: null,
      diferencia: null,
      fecha_apertura: '2026-01-15T12:00:00.000Z',
      fecha_cierre: null,
      observacion: null,
      conteo: null,
    },
  });
export type Session = z.output<typeof sessionSchema>;

export const cajaSchema = z
  .object({
    id: z.number(),
    nombre: z.string(),
    especialidad,
    saldo: posMoney,
    estado: z.boolean(),
    sesion_activa: sessionSchema.nullable(),
    sesiones: z.array(sessionSchema),
  })
  .meta({ id: 'Caja' });
export type Caja = z.output<typeof cajaSchema>;

export const createdCajaSchema = z
  .object({ id: z.number(), nombre: z.string(), especialidad, saldo: posMoney })
  .meta({ id: 'CajaCreada', example: { id: 1, nombre: 'Caja 1', especialidad: 'MIXTA', saldo: 500 } });
export type CreatedCaja = z.output<typeof createdCajaSchema>;

export const movementSchema = z
  .object({ id: z.number(), tipo, monto: posMoney, motivo: z.string(), fecha: timestamp, id_sesion_caja: z.number() })
  .meta({
    id: 'CajaMovimiento',
    example: { id: 7, tipo: 'EGRESO', monto: 25.5, motivo: 'Compra de bolsas', fecha: '2026-01-15T12:30:00.000Z', id_sesion_caja: 101 },
  });

export const movementListItem = movementSchema
  .extend({ origen: z.enum(origenes), id_origen: z.number().nullable() })
  .meta({ id: 'CajaMovimientoDetalle' });
export type Movement = z.output<typeof movementListItem>;

export const cajaSessionsQuery = z.object({
  estado: z.enum(['ABIERTA', 'CERRADA']).optional(),
  id_usuario: uuidV4.optional(),
  from: fromDate.optional(),
  to: toDate.optional(),
  ...pageQuery(50, 200),
});
export type CajaSessionsQuery = z.output<typeof cajaSessionsQuery>;

export const cajaSessionItem = sessionSchema
  .extend({ usuario: z.object({ id: z.string(), nombres: z.string() }) })
  .meta({ id: 'CajaSesionConUsuario' });
export type CajaSessionItem = z.output<typeof cajaSessionItem>;
