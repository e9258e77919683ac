import { sql } from 'kysely';
import { containsPattern, paginate, type Page } from '../core/pagination.js';
import type { Db } from '../db/transaction.js';
import type { HistorialQuery, Inyeccion, Recarga } from './recargas.schemas.js';

// The histories (API.md §3, §6.3, §6.7): newest first; the optional filters
// narrow them. With page/limit one page and the total; without, every row,
// read a chunk at a time by position (fecha_hora, id), so a long history
// never holds a connection or the event loop for long.

const CHUNK = 2000;

/** With neither page nor limit, the whole history (as the seed returns it). */
export function historyPage(q: HistorialQuery): Page | null {
  if (q.page === undefined && q.limit === undefined) return null;
  return { page: q.page ?? 1, limit: q.limit ?? 100 };
}

// The next chunk starts after the last row sent, compared on its stored
// timestamp (microseconds): a JS Date keeps milliseconds only, and rows in
// the same millisecond would be skipped.
type Cursor = { id: number };

const saleColumns = [
  'r.id',
  'o.nombre_operadora as operadora',
  'r.numero_cliente',
  'r.monto',
  'r.fecha_hora',
  'r.id_caja_sesion',
  'r.estado',
  'r.anulada_en',
  'r.anulada_por',
  'r.motivo_anulacion',
] as const;

function sales(db: Db, q: HistorialQuery) {
  let query = db.selectFrom('recargas_cliente as r').innerJoin('operadoras as o', 'o.id', 'r.id_operadora');
  if (q.operadora) query = query.where('o.nombre_operadora', '=', q.operadora);
  if (q.id_caja_sesion !== undefined) query = query.where('r.id_caja_sesion', '=', q.id_caja_sesion);
  if (q.numero_cliente) query = query.where('r.numero_cliente', '=', q.numero_cliente);
  if (q.buscar) query = query.where('r.numero_cliente', 'like', containsPattern(q.buscar));
  if (q.from) query = query.where('r.fecha_hora', '>=', q.from);
  if (q.to) query = query.where('r.fecha_hora', q.to.op, q.to.at);
  return query;
}

function injections(db: Db, q: HistorialQuery) {
  let query = db.selectFrom('inyecciones_operadora as i').innerJoin('operadoras as o', 'o.id', 'i.id_operadora');
  // An injection has no client number, so a filter on one matches none
  // (ignoring it would answer a question that was not asked).
  if (q.numero_cliente !== undefined || q.buscar !== undefined) query = query.where(sql<boolean>`false`);
  if (q.operadora) query = query.where('o.nombre_operadora', '=', q.operadora);
  if (q.id_caja_sesion !== undefined) query = query.where('i.id_caja_sesion', '=', q.id_caja_sesion);
  if (q.from) query = query.where('i.fecha_hora', '>=', q.from);
  if (q.to) query = query.where('i.fecha_hora', q.to.op, q.to.at);
  return query;
}

export async function salePage(db: Db, q: HistorialQuery, page: Page): Promise<{ rows: Recarga[]; total: number }> {
  const { rows, meta } = await paginate(sales(db, q), page, (b) => b.select(saleColumns).orderBy('r.fecha_hora', 'desc').orderBy('r.id', 'desc'));
  return { rows, total: meta.total };
}

export async function* saleChunks(db: Db, q: HistorialQuery, chunk = CHUNK): AsyncGenerator<Recarga[]> {
  let after: Cursor | undefined;
  for (;;) {
    let query = sales(db, q).select(saleColumns);
    if (after) query = query.where(sql<boolean>`(r.fecha_hora, r.id) < (select fecha_hora, id from recargas_cliente where id = ${after.id})`);
    const rows = await query.orderBy('r.fecha_hora', 'desc').orderBy('r.id', 'desc').limit(chunk).execute();
    yield rows;
    if (rows.length < chunk) return;
    const last = rows[rows.length - 1]!;
    after = { id: last.id };
  }
}

const injectionColumns = ['i.id', 'o.nombre_operadora as operadora_destino', 'i.monto', 'i.fecha_hora', 'i.id_caja_sesion as id_caja_origen'] as const;

export async function injectionPage(db: Db, q: HistorialQuery, page: Page): Promise<{ rows: Inyeccion[]; total: number }> {
  const { rows, meta } = await paginate(injections(db, q), page, (b) => b.select(injectionColumns).orderBy('i.fecha_hora', 'desc').orderBy('i.id', 'desc'));
  return { rows, total: meta.total };
}

export async function* injectionChunks(db: Db, q: HistorialQuery): AsyncGenerator<Inyeccion[]> {
  let after: Cursor | undefined;
  for (;;) {
    let query = injections(db, q).select(injectionColumns);
    if (after) query = query.where(sql<boolean>`(i.fecha_hora, i.id) < (select fecha_hora, id from inyecciones_operadora where id = ${after.id})`);
    const rows = await query.orderBy('i.fecha_hora', 'desc').orderBy('i.id', 'desc').limit(CHUNK).execute();
    yield rows;
    if (rows.length < CHUNK) return;
    const last = rows[rows.length - 1]!;
    after = { id: last.id };
  }
}

export const findSale = (db: Db, id: number): Promise<Recarga | undefined> =>
  sales(db, {}).select(saleColumns).where('r.id', '=', id).executeTakeFirst();
