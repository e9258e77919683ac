import { sql } from 'kysely';
import { claimOpenSession } from '../cajas/cajas.queries.js';
import type { Actor } from '../core/actor.js';
import type { Tx } from '../db/transaction.js';
import { InsufficientFundsError, postTransfer } from '../ledger/ledger.js';
import { recargasError } from './recargas.errors.js';
import type { Recarga } from './recargas.schemas.js';
import { recordEvents } from '../core/events.js';
import { annulledEvent } from './recargas.events.js';

// Voiding a mistaken top-up (API.md §6.3): only while its session is open,
// once. The float gets the amount back and the session's cash gives it up:
// a caja → float transfer and an ANULACION movement (EGRESO, counted in
// total_egresos), in the transaction of the caller (runIdempotent). The
// session row is locked first, as every money path does; then the sale.

export async function annulSale(trx: Tx, actor: Actor, id: number, motivo: string): Promise<Recarga> {
  const sale = await trx
    .selectFrom('recargas_cliente as r')
    .innerJoin('operadoras as o', 'o.id', 'r.id_operadora')
    .select(['r.id', 'r.monto', 'r.numero_cliente', 'r.id_caja_sesion', 'o.nombre_operadora', 'o.account_id'])
    .where('r.id', '=', id)
    .executeTakeFirst();
  if (!sale) throw recargasError('RECARGA_NOT_FOUND', `Top-up ${id} not found`);
  const claimed = await claimOpenSession(trx, {
    sessionId: sale.id_caja_sesion,
    actor,
    egreso: sale.monto,
    sequence: 'caja_movimientos_id_seq',
  });
  const { estado } = await trx.selectFrom('recargas_cliente').select('estado').where('id', '=', id).forNoKeyUpdate().executeTakeFirstOrThrow();
  if (estado === 'ANULADA') throw recargasError('ALREADY_ANNULLED', `Top-up ${id} was already annulled`);
  let transferId: bigint;
  try {
    const t = await postTransfer(trx, {
      debit: claimed.cajaAccount,
      credit: sale.account_id,
      amount: sale.monto,
      kind: 'ANULACION',
      refType: 'recarga_cliente',
      refId: id,
      userId: actor.id,
    });
    transferId = t.id;
  } catch (err) {
    if (err instanceof InsufficientFundsError) {
      throw recargasError('INSUFFICIENT_CASH', 'The cash register does not hold enough cash to give this top-up back');
    }
    throw err;
  }
  const { rows } = await sql<{ fecha: Date }>`
    insert into caja_movimientos (id, id_caja, id_sesion_caja, tipo, monto, motivo, origen, id_origen, transfer_id)
    values (${claimed.nextId}, ${claimed.idCaja}, ${sale.id_caja_sesion}, 'EGRESO', ${sale.monto},
            ${`Anulación de recarga ${id} (${sale.nombre_operadora} ${sale.numero_cliente})`}, 'ANULACION', ${id}, ${transferId})
    returning fecha`.execute(trx);
  const annulled = await trx
    .updateTable('recargas_cliente as r')
    .from('operadoras as o')
    .set({ estado: 'ANULADA', anulada_en: rows[0]!.fecha, anulada_por: actor.id, motivo_anulacion: motivo, anulacion_transfer_id: transferId })
    .whereRef('o.id', '=', 'r.id_operadora')
    .where('r.id', '=', id)
    .returning([
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
    ])
    .executeTakeFirstOrThrow();
  await recordEvents(trx, [annulledEvent(annulled, claimed.owner)]);
  return annulled;
}
