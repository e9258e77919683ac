import { sql } from 'kysely';
import type { Db } from '../db/transaction.js';
import { countCheck, type VerifyCheck } from '../ledger/verify.js';

// Integrity of cajas and sessions against the ledger (API.md §5): cached
// session totals against their movements, movements against transfers, and
// no caja money moved without a movement. Movements are read from
// caja_movimientos_todos: the stored rows and each top-up's own movement.

const count = async (db: Db, query: ReturnType<typeof sql<{ n: string }>>) => Number((await query.execute(db)).rows[0]!.n);


export const cajasChecks: VerifyCheck[] = [
  async (db) => {
    const bad = await count(
      db,
      sql<{ n: string }>`
        with t as (
          select id_sesion_caja as id,
                 sum(monto) filter (where tipo = 'INGRESO') as ing,
                 sum(monto) filter (where tipo = 'EGRESO') as egr
            from caja_movimientos_todos
           where origen in ('MANUAL', 'RECARGA', 'INYECCION', 'ANULACION')
           group by id_sesion_caja
        )
        select count(*)::text as n
          from caja_sesiones s left join t on t.id = s.id
         where s.total_ingresos <> coalesce(t.ing, 0)
            or s.total_egresos <> coalesce(t.egr, 0)
            or (s.estado_sesion = 'CERRADA'
                and (s.monto_final_teorico <> s.monto_inicial + s.total_ingresos - s.total_egresos
                     or s.diferencia <> s.monto_final_real - s.monto_final_teorico))`,
    );
    return countCheck('caja_session_totals_match_movements', bad, 'sessions whose totals differ from their movements');
  },
  async (db) => {
    const bad = await count(
      db,
      sql<{ n: string }>`
        select count(*)::text as n
          from caja_movimientos_todos m
          join cajas k on k.id = m.id_caja
          left join ledger_transfers t on t.id = m.transfer_id
         where (m.transfer_id is null) <> (m.origen = 'APERTURA' and m.id_sesion_caja is not null)
            or (t.id is not null and (
                 t.phase <> 'SINGLE' or t.amount <> m.monto
                 or (m.tipo = 'INGRESO' and t.credit_account_id <> k.account_id)
                 or (m.tipo = 'EGRESO' and t.debit_account_id <> k.account_id)))`,
    );
    return countCheck('caja_movements_match_transfers', bad, 'movements without exactly one matching ledger transfer');
  },
  async (db) => {
    const bad = await count(
      db,
      sql<{ n: string }>`
        select count(*)::text as n
          from ledger_transfers t
          join ledger_accounts a on a.id in (t.debit_account_id, t.credit_account_id) and a.kind = 'CAJA'
         where not exists (select 1 from caja_movimientos_todos m where m.transfer_id = t.id)`,
    );
    return countCheck('caja_transfers_have_movements', bad, 'caja ledger transfers without a movement');
  },
  async (db) => {
    // The saldo shown is the ledger account; it must equal the movements, and
    // while a session is open, the session's teórico.
    const bad = await count(
      db,
      sql<{ n: string }>`
        with m as (
          select id_caja,
                 sum(case when tipo = 'INGRESO' then monto else -monto end) as net
            from caja_movimientos_todos where transfer_id is not null group by id_caja
        )
        select count(*)::text as n
          from cajas k
          join ledger_accounts a on a.id = k.account_id
          left join m on m.id_caja = k.id
          left join caja_sesiones s on s.id_caja = k.id and s.estado_sesion = 'ABIERTA'
         where a.kind <> 'CAJA'
            or a.posted <> coalesce(m.net, 0)
            or (s.id is not null and a.posted <> s.monto_inicial + s.total_ingresos - s.total_egresos)`,
    );
    return countCheck('caja_saldo_matches_ledger', bad, 'cajas whose ledger saldo differs from their movements or open session');
  },
  async (db) => {
    // Two tables feed the movements: no id and no transfer may appear twice.
    const bad = await count(
      db,
      sql<{ n: string }>`
        select ((select count(*) from (select id from caja_movimientos_todos group by id having count(*) > 1) i)
              + (select count(*) from (select transfer_id from caja_movimientos_todos where transfer_id is not null
                                        group by transfer_id having count(*) > 1) t))::text as n`,
    );
    return countCheck('caja_movements_unique', bad, 'movement ids or transfers that appear more than once');
  },
];
