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
       where not exists (select 1 from recargas_cliente r where r.transfer_id = t.id)
         and not exists (select 1 from inyecciones_operadora i where i.transfer_id = t.id)`.execute(db);
    const bad = Number(rows[0]!.n);
    return countCheck('operator_transfers_have_records', bad, 'operator float transfers without a top-up or injection');
  },
];
