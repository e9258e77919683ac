import { sql } from 'kysely';
import { countCheck, type VerifyCheck } from '../ledger/verify.js';

// Wallet records ↔ ledger (API.md §5), recomputed from outside the write path.


export const walletChecks: VerifyCheck[] = [
  async (db) => {
    // completed ⇔ one movement of the same amount and a POST of its pending
    // transfer; pending ⇔ unresolved; cancelled ⇔ VOID.
    const { rows } = await sql<{ n: string }>`
      select count(*)::text as n
        from cash_collection_records c
        left join ledger_transfers r on r.pending_id = c.pending_transfer_id
       where (c.status = 'pending' and r.id is not null)
          or (c.status = 'completed' and (r.phase is distinct from 'POST'
               or (select count(*) from wallet_movements m
                    where m.transaction_id = c.transaction_id and m.amount = c.amount and m.ledger_transfer_id = r.id) <> 1
               or (select count(*) from wallet_movements m where m.transaction_id = c.transaction_id) <> 1))
          or (c.status = 'cancelled' and (r.phase is distinct from 'VOID'
               or exists (select 1 from wallet_movements m where m.transaction_id = c.transaction_id)))`.execute(db);
    return countCheck('wallet_topups_match_transfers', rows[0]!.n, 'cash collection records whose status does not match their ledger transfers and movements');
  },
  async (db) => {
    const { rows } = await sql<{ n: string }>`
      select count(*)::text as n
        from ledger_transfers p
       where p.phase = 'PENDING' and p.ref_type = 'cash_collection_record'
         and not exists (select 1 from cash_collection_records c
                          where c.pending_transfer_id = p.id and c.id::text = p.ref_id and c.amount = p.amount)`.execute(db);
    return countCheck('wallet_pending_transfers_have_records', rows[0]!.n, 'pending top-up transfers without their cash collection record');
  },
  async (db) => {
    // Each wallet: movements sum to the posted balance, the latest one ends
    // there, pending top-ups equal the account's pending credits.
    const { rows } = await sql<{ n: string }>`
      select count(*)::text as n
        from wallets w
        join ledger_accounts a on a.id = w.account_id
       where a.posted <> coalesce((select sum(m.amount) from wallet_movements m where m.wallet_id = w.id), 0)
          or a.posted <> coalesce((select m.new_balance from wallet_movements m where m.wallet_id = w.id
                                    order by m.seq desc limit 1), 0)
          or a.pending_credits <> coalesce((select sum(c.amount) from cash_collection_records c
                                             where c.wallet_id = w.id and c.status = 'pending'), 0)
          or a.floor is distinct from -w.allowed_negative_limit
          or a.currency <> w.currency`.execute(db);
    return countCheck('wallet_balances_match_movements', rows[0]!.n, 'wallets whose movements or pending top-ups differ from their ledger account');
  },
  async (db) => {
    const { rows } = await sql<{ n: string }>`
      select count(*)::text as n from (
        select m.previous_balance,
               lag(m.new_balance, 1, 0::bigint) over (partition by m.wallet_id order by m.seq) as before
          from wallet_movements m) x
       where x.previous_balance <> x.before`.execute(db);
    return countCheck('wallet_movements_chain', rows[0]!.n, 'wallet movements whose previousBalance is not the newBalance before them');
  },
];
