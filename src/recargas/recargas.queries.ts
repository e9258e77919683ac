import { offsetOf } from '../core/pagination.js';
import type { Db } from '../db/transaction.js';
import type { HistorialQuery, Inyeccion, Recarga } from './recargas.schemas.js';

// The histories (API.md §3): newest first; the optional filters narrow them.

/** With neither page nor limit, the whole history (as the seed returns it). */
export function historyPage(q: HistorialQuery): { limit: number; offset: number } | null {
  if (q.page === undefined && q.limit === undefined) return null;
  const limit = q.limit ?? 100;
  return { limit, offset: offsetOf({ page: q.page ?? 1, limit }) };
}

export async function saleHistory(db: Db, q: HistorialQuery, page: { limit: number; offset: number } | null): Promise<Recarga[]> {
  let query = db
    .selectFrom('recargas_cliente as r')
    .innerJoin('operadoras as o', 'o.id', 'r.id_operadora')
    .select(['r.id', 'o.nombre_operadora as operadora', 'r.numero_cliente', 'r.monto', 'r.fecha_hora', 'r.id_caja_sesion'])
    .orderBy('r.fecha_hora', 'desc')
    .orderBy('r.id', 'desc');
  if (q.operadora) query = query.where('o.nombre_operadora', '=', q.operadora);
  if (q.id_caja_sesion !== undefined) query = query.where('r.id_caja_sesion', '=', q.id_caja_sesion);
  if (q.numero_cliente) query = query.where('r.numero_cliente', '=', q.numero_cliente);
  if (q.from) query = query.where('r.fecha_hora', '>=', q.from);
  if (q.to) query = query.where('r.fecha_hora', q.to.op, q.to.at);
  if (page) query = query.limit(page.limit).offset(page.offset);
  return query.execute();
}

export async function injectionHistory(db: Db, q: HistorialQuery, page: { limit: number; offset: number } | null): Promise<Inyeccion[]> {
  // An injection has no client number, so a filter on one matches none
  // (ignoring it would answer a question that was not asked).
  if (q.numero_cliente !== undefined) return [];
  let query = db
    .selectFrom('inyecciones_operadora as i')
    .innerJoin('operadoras as o', 'o.id', 'i.id_operadora')
    .select(['i.id', 'o.nombre_operadora as operadora_destino', 'i.monto', 'i.fecha_hora', 'i.id_caja_sesion as id_caja_origen'])
    .orderBy('i.fecha_hora', 'desc')
    .orderBy('i.id', 'desc');
  if (q.operadora) query = query.where('o.nombre_operadora', '=', q.operadora);
  if (q.id_caja_sesion !== undefined) query = query.where('i.id_caja_sesion', '=', q.id_caja_sesion);
  if (q.from) query = query.where('i.fecha_hora', '>=', q.from);
  if (q.to) query = query.where('i.fecha_hora', q.to.op, q.to.at);
  if (page) query = query.limit(page.limit).offset(page.offset);
  return query.execute();
}
