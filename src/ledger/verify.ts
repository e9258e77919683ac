import { sql } from 'kysely';
import type { Db } from '../db/transaction.js';

// Integrity checks run from outside the write path (API.md §5): they recompute
// everything from the immutable transfers and compare with what is cached.

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export type VerifyCheck = (db: Db) => Promise<CheckResult>;

/** A check that counts offending rows: ok when there are none. */
export const countCheck = (name: string, bad: number | string, what: string): CheckResult => {
  const n = Number(bad);
  return { name, ok: n === 0, detail: n === 0 ? 'ok' : `${n} ${what}` };
};

export const ledgerChecks: VerifyCheck[] = [
  async (db) => {
    // Each transfer debits and credits the same amount by construction, so
    // debits = credits shows as: posted balances sum to zero, pending too.
    const { rows } = await sql<{ posted: string; pd: string; pc: string; n: string }>`
      select coalesce(sum(posted), 0)::text as posted, coalesce(sum(pending_debits), 0)::text as pd,
             coalesce(sum(pending_credits), 0)::text as pc, count(*)::text as n
        from ledger_accounts`.execute(db);
    const r = rows[0]!;
    const ok = BigInt(r.posted) === 0n && BigInt(r.pd) === BigInt(r.pc);
    return {
      name: 'debits_equal_credits',
      ok,
      detail: ok
        ? `${r.n} accounts; posted balances sum to 0, pending debits = pending credits = ${r.pd}`
        : `posted balances sum to ${r.posted}; pending debits ${r.pd} vs credits ${r.pc}`,
    };
  },
  async (db) => {
    const { rows } = await sql<{ n: string }>`
      with moves as (
        select credit_account_id as id, amount as posted, 0::bigint as pd, 0::bigint as pc
          from ledger_transfers where phase in ('SINGLE', 'POST')
        union all
        select debit_account_id, -amount, 0, 0 from ledger_transfers where phase in ('SINGLE', 'POST')
        union all
        select p.debit_account_id, 0, p.amount, 0 from ledger_transfers p
         where p.phase = 'PENDING' and not exists (select 1 from ledger_transfers r where r.pending_id = p.id)
        union all
        select p.credit_account_id, 0, 0, p.amount from ledger_transfers p
         where p.phase = 'PENDING' and not exists (select 1 from ledger_transfers r where r.pending_id = p.id)
      ),
      derived as (
        select id, sum(posted) as posted, sum(pd) as pd, sum(pc) as pc from moves group by id
      )
      select count(*)::text as n
        from ledger_accounts a left join derived d on d.id = a.id
       where a.posted <> coalesce(d.posted, 0)
          or a.pending_debits <> coalesce(d.pd, 0)
          or a.pending_credits <> coalesce(d.pc, 0)`.execute(db);
    return countCheck('cached_balances_match_transfers', Number(rows[0]!.n), 'accounts whose cached balance differs from the sum of their transfers');
  },
  async (db) => {
    const { rows } = await sql<{ n: string }>`
      select count(*)::text as n from ledger_accounts
       where floor is not null and posted - pending_debits < floor`.execute(db);
    return countCheck('no_balance_below_floor', Number(rows[0]!.n), 'accounts below their floor');
  },
  async (db) => {
    const { rows } = await sql<{ n: string }>`
      select count(*)::text as n from ledger_transfers r
        join ledger_transfers p on p.id = r.pending_id
       where p.phase <> 'PENDING' or r.amount <> p.amount
          or r.debit_account_id <> p.debit_account_id or r.credit_account_id <> p.credit_account_id`.execute(db);
    return countCheck('pending_resolutions_match', Number(rows[0]!.n), 'post/void transfers that do not match their pending transfer');
  },
  async (db) => {
    const { rows } = await sql<{ n: string }>`
      select count(*)::text as n from ledger_transfers t
        join ledger_accounts d on d.id = t.debit_account_id
        join ledger_accounts c on c.id = t.credit_account_id
       where d.currency <> c.currency`.execute(db);
    return countCheck('single_currency_transfers', Number(rows[0]!.n), 'transfers between accounts of different currencies');
  },
];

export async function runVerify(db: Db, checks: VerifyCheck[]) {
  const results: CheckResult[] = [];
  // Repeatable read: every check sees the same instant even while money moves.
  await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      for (const c of checks) results.push(await c(trx));
    });
  return { ok: results.every((r) => r.ok), checks: results };
}
