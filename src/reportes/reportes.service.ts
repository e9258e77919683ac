import { sql } from 'kysely';
import { OPERADORAS, type OperadoraNombre } from '../db/tables/recargas.js';
import type { Db } from '../db/transaction.js';
import { reportesError } from './reportes.errors.js';
import { MESES, type CajaHistorial, type Dashboard, type MovimientosCaja, type Resumen } from './reportes.schemas.js';

// Read-only views over the cash books for POS front ends and the console
// (API.md §6.2, §6.7). Days and months are those of BUSINESS_TIMEZONE: a sale
// at 23:30 in La Paz belongs to that day, not to the next UTC one. Sales
// count when COMPLETADA; voided ones only as resumen's anuladas.

export interface ReportesServiceDeps {
  db: Db;
  timezone: string;
}

type Tipo = 'INGRESO' | 'EGRESO';

const totalsOf = (movs: Array<{ tipo: Tipo; monto: bigint }>) => {
  const ingresos = movs.reduce((s, m) => (m.tipo === 'INGRESO' ? s + m.monto : s), 0n);
  const egresos = movs.reduce((s, m) => (m.tipo === 'EGRESO' ? s + m.monto : s), 0n);
  return { ingresos, egresos, neto: ingresos - egresos };
};

export function reportesServiceFactory({ db, timezone }: ReportesServiceDeps) {
  /** The first instant of a local day, and of the day after another one. */
  const dayStart = (day: string) => sql<Date>`(${day}::date::timestamp at time zone ${timezone})`;
  const dayEnd = (day: string) => sql<Date>`((${day}::date + 1)::timestamp at time zone ${timezone})`;
  const today = async () => (await sql<{ d: string }>`select (now() at time zone ${timezone})::date::text as d`.execute(db)).rows[0]!.d;

  return {
    /** A session's manual movements, oldest first, with its live teórico (or the one it was closed with). */
    async movimientosCaja(sessionId: number): Promise<MovimientosCaja> {
      const s = await db
        .selectFrom('caja_sesiones as s')
        .innerJoin('cajas as k', 'k.id', 's.id_caja')
        .select(['s.id', 'k.nombre', 's.fecha_apertura', 's.fecha_cierre', 's.monto_inicial', 's.total_ingresos', 's.total_egresos', 's.monto_final_teorico'])
        .where('s.id', '=', sessionId)
        .executeTakeFirst();
      if (!s) throw reportesError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
      const movimientos = await db
        .selectFrom('caja_movimientos')
        .select(['id', 'fecha', 'tipo', 'motivo', 'monto'])
        .where('id_sesion_caja', '=', sessionId)
        .where('origen', '=', 'MANUAL')
        .orderBy('id')
        .execute();
      return {
        sesion: {
          id: s.id,
          cajaNombre: s.nombre,
          fechaApertura: s.fecha_apertura,
          fechaCierre: s.fecha_cierre,
          montoInicial: s.monto_inicial,
          saldoActualTeorico: s.monto_final_teorico ?? s.monto_inicial + s.total_ingresos - s.total_egresos,
        },
        movimientos,
        totales: totalsOf(movimientos),
      };
    },

    /** Every movement of every session of a caja but the opening counts, oldest first. */
    async cajaHistorial(cajaId: number): Promise<CajaHistorial> {
      const caja = await db.selectFrom('cajas').select(['id', 'nombre']).where('id', '=', cajaId).executeTakeFirst();
      if (!caja) throw reportesError('CAJA_NOT_FOUND', `Caja ${cajaId} not found`);
      const rows = await db
        .selectFrom('caja_movimientos_todos')
        .select(['id', 'fecha', 'id_sesion_caja', 'tipo', 'motivo', 'monto'])
        .where('id_caja', '=', cajaId)
        .where('origen', '<>', 'APERTURA')
        .where('id_sesion_caja', 'is not', null)
        .orderBy('id')
        .execute();
      const movimientos = rows.map(({ id_sesion_caja, ...m }) => ({ ...m, id_sesion: id_sesion_caja! }));
      return { caja, movimientos, totales: totalsOf(movimientos) };
    },

    /** Today's top-ups, the year's by month and by operator: this service's sales are its top-ups. */
    async dashboard(anio?: number): Promise<Dashboard> {
      const day = await today();
      const year = anio ?? Number(day.slice(0, 4));
      const { rows: hoy } = await sql<{ total: bigint }>`
        select coalesce(sum(monto), 0)::bigint as total from recargas_cliente
         where estado = 'COMPLETADA' and fecha_hora >= ${dayStart(day)} and fecha_hora < ${dayEnd(day)}`.execute(db);
      const yearStart = `${year}-01-01`;
      const yearEnd = `${year}-12-31`;
      const { rows: months } = await sql<{ mes: number; total: bigint }>`
        select extract(month from fecha_hora at time zone ${timezone})::integer as mes, sum(monto)::bigint as total
          from recargas_cliente
         where estado = 'COMPLETADA' and fecha_hora >= ${dayStart(yearStart)} and fecha_hora < ${dayEnd(yearEnd)}
         group by 1`.execute(db);
      const { rows: byOp } = await sql<{ proveedor: OperadoraNombre; total: bigint }>`
        select o.nombre_operadora as proveedor, sum(r.monto)::bigint as total
          from recargas_cliente r join operadoras o on o.id = r.id_operadora
         where r.estado = 'COMPLETADA' and r.fecha_hora >= ${dayStart(yearStart)} and r.fecha_hora < ${dayEnd(yearEnd)}
         group by 1`.execute(db);
      const ventasHoy = hoy[0]!.total;
      return {
        kpis: { ventas_hoy: ventasHoy, recargas_hoy: ventasHoy, ganancia_comisiones_hoy: 0n, productos_stock_bajo: 0 },
        ventas_mensuales: MESES.map((mes, i) => ({ mes, total: months.find((m) => m.mes === i + 1)?.total ?? 0n })),
        top_productos: [],
        recargas_distribucion: OPERADORAS.map((proveedor) => ({ proveedor, total: byOp.find((r) => r.proveedor === proveedor)?.total ?? 0n })),
      };
    },

    /** The back office's days at a glance, from and to inclusive (default: today). */
    async resumen(range: { from?: string | undefined; to?: string | undefined }): Promise<Resumen> {
      const from = range.from ?? range.to ?? (await today());
      const to = range.to ?? from;
      const inRange = (column: string) => sql<boolean>`${sql.ref(column)} >= ${dayStart(from)} and ${sql.ref(column)} < ${dayEnd(to)}`;
      const { rows: ops } = await sql<{ operadora: OperadoraNombre; cantidad: number; total: bigint }>`
        select o.nombre_operadora as operadora, count(r.id)::integer as cantidad, coalesce(sum(r.monto), 0)::bigint as total
          from operadoras o
          left join recargas_cliente r on r.id_operadora = o.id and r.estado = 'COMPLETADA' and ${inRange('r.fecha_hora')}
         group by o.id, o.nombre_operadora order by o.id`.execute(db);
      const { rows: porUsuario } = await sql<{ id_usuario: string; nombres: string; cantidad: number; total: bigint }>`
        select u.id as id_usuario, u.nombres, count(*)::integer as cantidad, sum(r.monto)::bigint as total
          from recargas_cliente r join users u on u.id = r.id_usuario
         where r.estado = 'COMPLETADA' and ${inRange('r.fecha_hora')}
         group by u.id, u.nombres order by total desc, u.nombres, u.id`.execute(db);
      const { rows: iny } = await sql<{ cantidad: number; total: bigint }>`
        select count(*)::integer as cantidad, coalesce(sum(monto), 0)::bigint as total
          from inyecciones_operadora where ${inRange('fecha_hora')}`.execute(db);
      const { rows: voids } = await sql<{ n: number }>`
        select count(*)::integer as n from recargas_cliente where estado = 'ANULADA' and ${inRange('fecha_hora')}`.execute(db);
      const sesiones = await db
        .selectFrom('caja_sesiones')
        .select(['id', 'id_caja', 'id_usuario', 'estado_sesion', 'diferencia', 'observacion'])
        .where(inRange('fecha_apertura'))
        .orderBy('id')
        .execute();
      const { rows: porDia } = await sql<{ dia: string; cantidad: number; total: bigint }>`
        select d::date::text as dia, count(r.id)::integer as cantidad, coalesce(sum(r.monto), 0)::bigint as total
          from generate_series(${from}::date, ${to}::date, interval '1 day') d
          left join recargas_cliente r on r.estado = 'COMPLETADA'
                                      and r.fecha_hora >= (d::date::timestamp at time zone ${timezone})
                                      and r.fecha_hora < ((d::date + 1)::timestamp at time zone ${timezone})
         group by d order by d`.execute(db);
      return {
        from,
        to,
        recargas: { cantidad: ops.reduce((n, o) => n + o.cantidad, 0), total: ops.reduce((n, o) => n + o.total, 0n), anuladas: voids[0]!.n },
        por_operadora: ops,
        por_usuario: porUsuario,
        inyecciones: iny[0]!,
        sesiones: {
          abiertas: sesiones.filter((s) => s.estado_sesion === 'ABIERTA').length,
          cerradas: sesiones.filter((s) => s.estado_sesion === 'CERRADA').length,
          con_diferencia: sesiones
            .filter((s) => s.diferencia !== null && s.diferencia !== 0n)
            .map((s) => ({ id: s.id, id_caja: s.id_caja, id_usuario: s.id_usuario, diferencia: s.diferencia!, observacion: s.observacion })),
        },
        por_dia: porDia,
      };
    },
  };
}

export type ReportesService = ReturnType<typeof reportesServiceFactory>;
