import { sql } from 'kysely';
import { countCheck, type VerifyCheck } from '../ledger/verify.js';

// Every top-up and injection is exactly one ledger transfer between its
// operator's float and its session's caja, plus one session movement; and no
// operator float moves otherwise.


export const recargasChecks: VerifyCheck[] = [
  async (db) => {
    const { rows } = await sql<{ n: string }>`
      with ops as (
        select r.id, r.monto, r.transfer_id, o.account_id as from_account, k.account_id as to_account,
               'RECARGA' as origen, 'INGRESO' as tipo, r.id_caja_sesion
          from recargas_cliente r
          join operadoras o on o.id = r.id_operadora
          join caja_sesiones s on s.id = r.id_caja_sesion
          join cajas k on k.id = s.id_caja
        union all
        select i.id, i.monto, i.transfer_id, k.account_id, o.account_id, 'INYECCION', 'EGRESO', i.id_caja_sesion
          from inyecciones_operadora i
          join operadoras o on o.id = i.id_operadora
          join caja_sesiones s on s.id = i.id_caja_sesion
          join cajas k on k.id = s.id_caja
      )
      select count(*)::text as n
        from ops
        left join ledger_transfers t on t.id = ops.transfer_id
        left join caja_movimientos_todos m on m.transfer_id = ops.transfer_id
       where t.id is null or t.phase <> 'SINGLE' or t.amount <> ops.monto
          or t.debit_account_id <> ops.from_account or t.credit_account_id <> ops.to_account
          or m.id is null or m.origen <> ops.origen or m.tipo <> ops.tipo or m.id_origen <> ops.id
          or m.monto <> ops.monto or m.id_sesion_caja <> ops.id_caja_sesion`.execute(db);
    const bad = Number(rows[0]!.n);
    return countCheck('recargas_match_transfers', bad, 'top-ups or injections without exactly one matching transfer and movement');
  },
  async (db) => {
    const { rows } = await sql<{ n: string }>`
      select count(*)::text as n
        from ledger_transfers t
        join ledger_accounts a on a.id in (t.debit_account_id, t.credit_account_id) and a.kind = 'OPERADORA'
       where not exists (select 1 from recargas_cliente r where r.transfer_id = t.id or r.anulacion_transfer_id = t.id)
         and not exists (select 1 from inyecciones_operadora i where i.transfer_id = t.id)`.execute(db);
    const bad = Number(rows[0]!.n);
    return countCheck('operator_transfers_have_records', bad, 'operator float transfers without a top-up, void or injection');
  },
  async (db) => {
    // A void (API.md §6.3, §6.7): exactly one ANULACION movement and one
    // reversing transfer (the sale's caja → its float, the same amount), and
    // neither for a sale that was not voided.
    const { rows } = await sql<{ n: string }>`
      select count(*)::text as n
        from recargas_cliente r
        join operadoras o on o.id = r.id_operadora
        join caja_sesiones s on s.id = r.id_caja_sesion
        join cajas k on k.id = s.id_caja
        left join ledger_transfers t on t.id = r.anulacion_transfer_id
       where (select count(*) from caja_movimientos m where m.origen = 'ANULACION' and m.id_origen = r.id)
             <> (case when r.estado = 'ANULADA' then 1 else 0 end)
          or (r.estado = 'ANULADA' and (t.id is null or t.phase <> 'SINGLE' or t.amount <> r.monto
              or t.debit_account_id <> k.account_id or t.credit_account_id <> o.account_id
              or not exists (select 1 from caja_movimientos m where m.origen = 'ANULACION' and m.id_origen = r.id
                              and m.transfer_id = t.id and m.tipo = 'EGRESO' and m.monto = r.monto and m.id_sesion_caja = r.id_caja_sesion)))`.execute(db);
    return countCheck('voids_reverse_their_sale', Number(rows[0]!.n), 'top-ups whose void is missing, doubled or does not reverse the sale');
  },
  async (db) => {
    const { rows } = await sql<{ n: string }>`
      select count(*)::text as n from caja_movimientos m
       where m.origen = 'ANULACION'
         and not exists (select 1 from recargas_cliente r where r.id = m.id_origen and r.estado = 'ANULADA')`.execute(db);
    return countCheck('void_movements_have_voided_sales', Number(rows[0]!.n), 'ANULACION movements without a voided top-up');
  },
];
