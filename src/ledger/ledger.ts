import { sql } from 'kysely';
import type { Db, Tx } from '../db/transaction.js';
import type { AccountKind } from '../db/tables/ledger.js';

// The double-entry core every cent goes through. Functions take the caller's
// transaction: a feature service composes its business rows and the transfers
// in one atomic unit. Every balance change is one conditional UPDATE that
// locks the touched accounts in ascending id order (no deadlock between two
// transfers over the same pair) and refuses to cross an account's floor.
// Locks are FOR NO KEY UPDATE everywhere in this service: the foreign-key
// checks of rows inserted meanwhile take KEY SHARE locks on the same rows,
// which FOR UPDATE would conflict with (and deadlock on).

export interface TransferSpec {
  debit: bigint;
  credit: bigint;
  amount: bigint;
  kind: string;
  refType?: string;
  refId?: string | number | bigint;
  userId?: string | null;
}

/** An account would go below its floor. Features map it to their own 409. */
export class InsufficientFundsError extends Error {
  constructor(readonly accountId: bigint) {
    super(`account ${accountId} would go below its floor`);
  }
}

/** The pending transfer was already posted or voided. */
export class PendingAlreadyResolvedError extends Error {
  constructor(readonly pendingId: bigint) {
    super(`pending transfer ${pendingId} is already resolved`);
  }
}

interface Delta {
  posted: bigint;
  pendingDebits: bigint;
  pendingCredits: bigint;
}

/** Posted balance of each touched account after the change. */
export type Balances = Map<bigint, bigint>;

export async function createAccount(
  trx: Tx,
  spec: { code: string; kind: AccountKind; currency: string; floor: bigint | null },
): Promise<bigint> {
  const row = await trx.insertInto('ledger_accounts').values(spec).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** The outside world in one currency: where cash comes from and goes to. It has no floor. */
export async function worldAccount(trx: Tx, currency: string): Promise<bigint> {
  const code = `world:${currency}`;
  const find = () => trx.selectFrom('ledger_accounts').select('id').where('code', '=', code).executeTakeFirst();
  // It exists after the first use: one lookup, no insert attempt, on the money path.
  const found = await find();
  if (found) return found.id;
  await trx
    .insertInto('ledger_accounts')
    .values({ code, kind: 'WORLD', currency, floor: null })
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  return (await find())!.id;
}

/**
 * The world account of one currency, looked up (or created) once, outside
 * any transaction that might roll back, then remembered: it never changes.
 */
export function worldAccountOf(db: Db, currency: string): () => Promise<bigint> {
  let id: Promise<bigint> | undefined;
  return () => {
    id ??= db
      .transaction()
      .execute((trx) => worldAccount(trx, currency))
      .catch((err: unknown) => {
        id = undefined;
        throw err;
      });
    return id;
  };
}

type TransferRow = ReturnType<typeof row>;

/**
 * One statement: lock the accounts in id order, apply the deltas where every
 * floor allows, and — only if all of them did — insert the transfer rows.
 * A refused account makes the whole call throw; the caller's transaction
 * (or savepoint) then undoes the rows that were updated.
 */
async function applyDeltas(trx: Tx, deltas: Map<bigint, Delta>, inserts: TransferRow[] = []): Promise<{ balances: Balances; ids: bigint[] }> {
  const ids = [...deltas.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const col = <T>(pick: (d: Delta) => T) => ids.map((id) => String(pick(deltas.get(id)!)));
  const t = <K extends keyof TransferRow>(k: K) => inserts.map((r) => (r[k] === null ? null : String(r[k])));
  // Arrays rather than VALUES lists: the statement text is the same for any
  // number of rows, so the server can keep it prepared (see db/database.ts).
  const insert =
    inserts.length === 0
      ? sql``
      : sql`, ins as (
          insert into ledger_transfers (debit_account_id, credit_account_id, amount, phase, pending_id, kind, ref_type, ref_id, user_id)
          select * from unnest(${t('debit_account_id')}::text[]::bigint[], ${t('credit_account_id')}::text[]::bigint[],
                               ${t('amount')}::text[]::bigint[], ${t('phase')}::text[], ${t('pending_id')}::text[]::bigint[],
                               ${t('kind')}::text[], ${t('ref_type')}::text[], ${t('ref_id')}::text[], ${t('user_id')}::text[]::uuid[])
           where (select count(*) from upd) = ${ids.length}::integer
          returning id
        )`;
  const { rows } = await sql<{ t: 'a' | 't'; id: bigint; posted: bigint | null; currency: string | null }>`/*prepare*/
    with d(id, dp, dpd, dpc) as (
      select * from unnest(${ids.map(String)}::text[]::bigint[], ${col((d) => d.posted)}::text[]::bigint[],
                           ${col((d) => d.pendingDebits)}::text[]::bigint[], ${col((d) => d.pendingCredits)}::text[]::bigint[])
    ),
    locked as (
      select a.id from ledger_accounts a where a.id in (select id from d) order by a.id for no key update
    ),
    upd as (
      update ledger_accounts a
         set posted = a.posted + d.dp,
             pending_debits = a.pending_debits + d.dpd,
             pending_credits = a.pending_credits + d.dpc
        from d
       where a.id = d.id
         and a.id in (select id from locked)
         and (a.floor is null or d.dp - d.dpd >= 0 or a.posted + d.dp - (a.pending_debits + d.dpd) >= a.floor)
      returning a.id, a.posted, a.currency
    )${insert}
    select 'a' as t, id, posted, currency from upd
    ${inserts.length === 0 ? sql`` : sql`union all select 't', id, null, null from ins`}`.execute(trx);

  const accounts = rows.filter((r) => r.t === 'a');
  if (accounts.length !== ids.length) {
    const seen = new Set(accounts.map((r) => r.id));
    const refused = ids.find((id) => !seen.has(id));
    const exists = await trx.selectFrom('ledger_accounts').select('id').where('id', '=', refused!).executeTakeFirst();
    if (!exists) throw new Error(`ledger account ${refused} does not exist`);
    throw new InsufficientFundsError(refused!);
  }
  const currencies = new Set(accounts.map((r) => r.currency));
  if (currencies.size > 1) throw new Error(`transfer between currencies ${[...currencies].join(', ')}`);
  return { balances: new Map(accounts.map((r) => [r.id, r.posted!])), ids: rows.filter((r) => r.t === 't').map((r) => r.id) };
}

function add(deltas: Map<bigint, Delta>, id: bigint, change: Partial<Delta>) {
  const d = deltas.get(id) ?? { posted: 0n, pendingDebits: 0n, pendingCredits: 0n };
  d.posted += change.posted ?? 0n;
  d.pendingDebits += change.pendingDebits ?? 0n;
  d.pendingCredits += change.pendingCredits ?? 0n;
  deltas.set(id, d);
}

function check(spec: TransferSpec) {
  if (spec.amount <= 0n) throw new Error('transfer amount must be positive');
  if (spec.debit === spec.credit) throw new Error('transfer debit and credit accounts must differ');
}

/** A new transfer's row; resolutions (POST, VOID) are copied from their pending transfer (resolvePending). */
function row(spec: TransferSpec, phase: 'SINGLE' | 'PENDING') {
  return {
    debit_account_id: spec.debit,
    credit_account_id: spec.credit,
    amount: spec.amount,
    phase,
    pending_id: null,
    kind: spec.kind,
    ref_type: spec.refType ?? null,
    ref_id: spec.refId === undefined ? null : String(spec.refId),
    user_id: spec.userId ?? null,
  };
}

/**
 * Posts transfers at once, all or none: several specs in one call share one
 * statement that locks, checks floors, updates and inserts (batching).
 * Returns the new transfer ids in spec order and the posted balance of every
 * touched account afterwards.
 */
export async function postTransfers(trx: Tx, specs: TransferSpec[]): Promise<{ ids: bigint[]; balances: Balances }> {
  if (specs.length === 0) return { ids: [], balances: new Map() };
  const deltas = new Map<bigint, Delta>();
  for (const s of specs) {
    check(s);
    add(deltas, s.debit, { posted: -s.amount });
    add(deltas, s.credit, { posted: s.amount });
  }
  return applyDeltas(trx, deltas, specs.map((s) => row(s, 'SINGLE')));
}

/** Draws a transfer id ahead of postTransfersFrom, so business rows can name their transfer without a join. */
export const nextTransferId = sql<bigint>`nextval('ledger_transfers_id_seq')`;

/**
 * For a statement that decides a whole batch in SQL (one round trip instead
 * of lock, decide, write): the CTEs that post one SINGLE transfer per row of
 * the relation `source` and apply them to the cached balances, one update
 * per account. `source` has the columns id (from nextTransferId), debit,
 * credit, amount, kind, ref_type, ref_id (text) and user_id;
 * `ledger_balances(id, posted, currency)` then names the touched accounts.
 * The statement must lock those accounts (FOR NO KEY UPDATE, in id order)
 * before, and decide under those locks; the accounts' floor CHECK constraint
 * backs that decision, so a wrong one fails the statement whole instead of
 * crossing a floor. It must also leave out any transfer between accounts of
 * different currencies: nothing here can refuse one after the decision.
 */
export function postTransfersFrom(source: string) {
  const from = sql.table(source);
  return sql`
    ledger_posted as (
      insert into ledger_transfers (id, debit_account_id, credit_account_id, amount, phase, kind, ref_type, ref_id, user_id)
      overriding system value
      select id, debit, credit, amount, 'SINGLE', kind, ref_type, ref_id, user_id from ${from}
    ),
    ledger_balances as (
      update ledger_accounts a
         set posted = a.posted + m.delta
        from (select id, sum(delta)::bigint as delta
                from (select debit as id, -amount as delta from ${from}
                      union all
                      select credit, amount from ${from}) x
               group by id) m
       where a.id = m.id
      returning a.id, a.posted, a.currency
    )`;
}

export async function postTransfer(trx: Tx, spec: TransferSpec) {
  const { ids, balances } = await postTransfers(trx, [spec]);
  return { id: ids[0]!, balances };
}

/** Reserves an amount: counts against the debit account's floor, credits nothing yet. */
export async function createPendingTransfer(trx: Tx, spec: TransferSpec): Promise<bigint> {
  check(spec);
  const deltas = new Map<bigint, Delta>();
  add(deltas, spec.debit, { pendingDebits: spec.amount });
  add(deltas, spec.credit, { pendingCredits: spec.amount });
  const { ids } = await applyDeltas(trx, deltas, [row(spec, 'PENDING')]);
  return ids[0]!;
}

async function resolvePending(trx: Tx, pendingId: bigint, phase: 'POST' | 'VOID', by: { kind: string; userId?: string | null }) {
  // The resolution row goes in first, copied from the pending one: its
  // unique pending_id (a partial index, hence the WHERE) makes a second
  // resolution wait for the first and then find the conflict, so a pending
  // transfer moves money at most once whatever the callers do.
  const { rows } = await sql<{ id: bigint; debit_account_id: bigint; credit_account_id: bigint; amount: bigint }>`/*prepare*/
    insert into ledger_transfers (debit_account_id, credit_account_id, amount, phase, pending_id, kind, ref_type, ref_id, user_id)
    select p.debit_account_id, p.credit_account_id, p.amount, ${phase}, p.id, ${by.kind}, p.ref_type, p.ref_id, ${by.userId ?? null}::uuid
      from ledger_transfers p
     where p.id = ${pendingId} and p.phase = 'PENDING'
        on conflict (pending_id) where pending_id is not null do nothing
    returning id, debit_account_id, credit_account_id, amount`.execute(trx);
  const inserted = rows[0];
  if (!inserted) {
    const pending = await trx.selectFrom('ledger_transfers').select('id').where('id', '=', pendingId).where('phase', '=', 'PENDING').executeTakeFirst();
    if (!pending) throw new Error(`transfer ${pendingId} is not a pending transfer`);
    throw new PendingAlreadyResolvedError(pendingId);
  }
  const deltas = new Map<bigint, Delta>();
  const a = inserted.amount;
  add(deltas, inserted.debit_account_id, { pendingDebits: -a, posted: phase === 'POST' ? -a : 0n });
  add(deltas, inserted.credit_account_id, { pendingCredits: -a, posted: phase === 'POST' ? a : 0n });
  const { balances } = await applyDeltas(trx, deltas);
  return { id: inserted.id, amount: a, balances };
}

/** Completes a pending transfer: the reserved amount moves. */
export const postPendingTransfer = (trx: Tx, pendingId: bigint, by: { kind: string; userId?: string | null }) =>
  resolvePending(trx, pendingId, 'POST', by);

/** Releases a pending transfer: nothing moves. */
export const voidPendingTransfer = (trx: Tx, pendingId: bigint, by: { kind: string; userId?: string | null }) =>
  resolvePending(trx, pendingId, 'VOID', by);

/** Posted and available (posted − pending debits) balance of an account. */
export async function accountBalance(trx: Db, id: bigint) {
  const a = await trx
    .selectFrom('ledger_accounts')
    .select(['posted', 'pending_debits', 'pending_credits', 'floor', 'currency'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { ...a, available: a.posted - a.pending_debits };
}
