import { sql, type RawBuilder } from 'kysely';
import { isUniqueViolation, type Db, type Tx } from '../db/transaction.js';
import type { AccountKind } from '../db/tables/ledger.js';

// The double-entry core every cent goes through. Functions take the caller's
// transaction (or the database: each call is one statement, atomic on its
// own): a feature service composes its business rows and the transfers in
// one atomic unit, in its transaction or in the transfer's own statement
// (Composed). Every balance change locks the touched accounts in ascending
// id order (no deadlock between two transfers over the same pair), decides,
// and writes only if every account allows it: nothing crosses a floor.
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

/** What the statement could not find: accounts missing (or in different currencies), or no pending transfer of that id. */
export class TransferRefusedError extends Error {}

/** A pending transfer (one of these) was already posted or voided. */
export class PendingAlreadyResolvedError extends Error {
  constructor(readonly pendingIds: bigint[]) {
    super(`pending transfer ${pendingIds.join(' or ')} is already resolved`);
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
 * What a feature writes in the same statement as a transfer (one round trip,
 * atomic on its own, so it may run with no transaction around it).
 */
export interface Composed {
  /**
   * CTEs run before the accounts are locked, the last one named `guard`:
   * the caller's own rows, locked in its lock order and checked. Nothing is
   * written unless `guard` has a row (else GuardRefusedError).
   */
  guard?: RawBuilder<unknown>;
  /** Posted balances accounts must still have, as read beforehand (else StaleBalanceError). */
  expect?: ReadonlyMap<bigint, bigint>;
  /**
   * CTEs written with the transfers: they read `ledger_ins(id, ref_id)`, the
   * new transfers (a resolution has its pending transfer's ref_id), and must
   * write nothing when it has no row.
   */
  then?: RawBuilder<unknown>;
}

/** The statement's guard found nothing to lock: what the caller read has changed. */
export class GuardRefusedError extends Error {
  constructor() {
    super('the transfer guard found no row');
  }
}

/** An account's balance is not the one the caller expected: it changed since it was read. */
export class StaleBalanceError extends Error {
  constructor(readonly accountId: bigint) {
    super(`account ${accountId} changed since it was read`);
  }
}

/** Bigints as a text[] parameter, cast in SQL (`::text[]::bigint[]`): exact on both engines. */
export const bigintsAsText = (values: ReadonlyArray<bigint | null>) => values.map((v) => (v === null ? null : String(v)));

/**
 * One statement that applies a set of balance changes whole or not at all:
 * the caller's guard, then the accounts locked in id order, then the
 * decision (every account exists, one currency, every floor and expected
 * balance holds), and only if it holds the balances, `insert` (a relation
 * of new transfers, read as ledger_ins) and the caller's `then`. `deltas`
 * is a query of (id, posted, pending debits, pending credits), one row per
 * account; `pre` are CTEs it reads.
 */
async function applyDeltas(
  q: Db,
  change: { pre?: RawBuilder<unknown>; deltas: RawBuilder<unknown>; insert: (ok: RawBuilder<unknown>) => RawBuilder<unknown> },
  composed: Composed = {},
): Promise<{ balances: Balances; ids: bigint[] }> {
  const { guard, expect = new Map(), then } = composed;
  const ok = sql`(select yes from ledger_ok)`;
  const { rows } = await sql<{ t: 'a' | 't' | 'g'; id: bigint | null; posted: bigint | null; fits: boolean | null; as_expected: boolean | null }>`/*prepare*/
    with ${guard ? sql`${guard},` : sql``} ${change.pre ? sql`${change.pre},` : sql``}
    ledger_d(id, dp, dpd, dpc) as (${change.deltas}),
    ledger_x(id, expected) as (select * from unnest(${bigintsAsText([...expect.keys()])}::text[]::bigint[], ${bigintsAsText([...expect.values()])}::text[]::bigint[])),
    ledger_locked as (
      select a.id, a.posted, a.pending_debits, a.floor, a.currency from ledger_accounts a
       where a.id = any(array(select id from ledger_d)) ${guard ? sql`and exists (select from guard)` : sql``}
       order by a.id
         for no key update
    ),
    ledger_check as (
      select l.id, l.posted, l.currency,
             (l.floor is null or d.dp - d.dpd >= 0 or l.posted + d.dp - (l.pending_debits + d.dpd) >= l.floor) as fits,
             (x.expected is null or l.posted = x.expected) as as_expected
        from ledger_locked l join ledger_d d on d.id = l.id left join ledger_x x on x.id = l.id
    ),
    ledger_ok as (
      select count(*) > 0 and count(*) = (select count(*) from ledger_d) and count(distinct currency) = 1
             and coalesce(bool_and(fits and as_expected), false) as yes
        from ledger_check
    ),
    ledger_ins as (${change.insert(ok)}),
    ledger_upd as (
      update ledger_accounts a
         set posted = a.posted + d.dp,
             pending_debits = a.pending_debits + d.dpd,
             pending_credits = a.pending_credits + d.dpc
        from ledger_d d
       -- After every transfer row (whose insert decides on ok; count, not
       -- exists, which would stop at the first): a second resolution of a
       -- pending transfer fails on its unique index first.
       where a.id = d.id and (select count(*) from ledger_ins) > 0
      returning a.id, a.posted
    )
    ${then ? sql`, ${then}` : sql``}
    select 'a' as t, c.id, coalesce(u.posted, c.posted) as posted, c.fits, c.as_expected
      from ledger_check c left join ledger_upd u on u.id = c.id
    union all
    select 't', id, null, null, null from ledger_ins
    union all
    select 'g', null, null, null, null where ${guard ? sql`exists (select from guard)` : sql`true`}`.execute(q);

  if (!rows.some((r) => r.t === 'g')) throw new GuardRefusedError();
  const accounts = rows.filter((r) => r.t === 'a');
  const ids = rows.filter((r) => r.t === 't').map((r) => r.id!);
  if (ids.length === 0) {
    const refused = accounts.find((r) => !r.fits);
    if (refused) throw new InsufficientFundsError(refused.id!);
    const stale = accounts.find((r) => !r.as_expected);
    if (stale) throw new StaleBalanceError(stale.id!);
    throw new TransferRefusedError(`transfer refused: accounts missing or in different currencies (${accounts.map((r) => r.id).join(', ') || 'none found'})`);
  }
  return { balances: new Map(accounts.map((r) => [r.id!, r.posted!])), ids };
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

/** The deltas of applyDeltas from a map of them: arrays, so the statement text is the same for any number of accounts. */
function deltasOf(deltas: Map<bigint, Delta>) {
  const ids = [...deltas.keys()];
  const col = (pick: (d: Delta) => bigint) => ids.map((id) => String(pick(deltas.get(id)!)));
  return sql`select * from unnest(${ids.map(String)}::text[]::bigint[], ${col((d) => d.posted)}::text[]::bigint[],
                                  ${col((d) => d.pendingDebits)}::text[]::bigint[], ${col((d) => d.pendingCredits)}::text[]::bigint[])`;
}

/** New transfer rows for applyDeltas, inserted when the decision `ok` holds. */
const insertRows = (rows: TransferRow[]) => (ok: RawBuilder<unknown>) => {
  const t = <K extends keyof TransferRow>(k: K) => rows.map((r) => (r[k] === null ? null : String(r[k])));
  return sql`
      insert into ledger_transfers (debit_account_id, credit_account_id, amount, phase, pending_id, kind, ref_type, ref_id, user_id)
      select * from unnest(${t('debit_account_id')}::text[]::bigint[], ${t('credit_account_id')}::text[]::bigint[],
                           ${t('amount')}::text[]::bigint[], ${t('phase')}::text[], ${t('pending_id')}::text[]::bigint[],
                           ${t('kind')}::text[], ${t('ref_type')}::text[], ${t('ref_id')}::text[], ${t('user_id')}::text[]::uuid[])
       where ${ok}
      returning id, ref_id`;
};

/**
 * Posts transfers at once, all or none: several specs in one call share one
 * statement that locks, checks floors, updates and inserts (batching).
 * Returns the new transfer ids in spec order and the posted balance of every
 * touched account afterwards.
 */
export async function postTransfers(q: Db, specs: TransferSpec[], composed?: Composed): Promise<{ ids: bigint[]; balances: Balances }> {
  if (specs.length === 0) return { ids: [], balances: new Map() };
  const deltas = new Map<bigint, Delta>();
  for (const s of specs) {
    check(s);
    add(deltas, s.debit, { posted: -s.amount });
    add(deltas, s.credit, { posted: s.amount });
  }
  return applyDeltas(q, { deltas: deltasOf(deltas), insert: insertRows(specs.map((s) => row(s, 'SINGLE'))) }, composed);
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

export async function postTransfer(q: Db, spec: TransferSpec, composed?: Composed) {
  const { ids, balances } = await postTransfers(q, [spec], composed);
  return { id: ids[0]!, balances };
}

/** Reserves an amount: counts against the debit account's floor, credits nothing yet. */
export async function createPendingTransfer(q: Db, spec: TransferSpec, composed?: Composed): Promise<bigint> {
  return (await createPendingTransfers(q, [spec], composed))[0]!;
}

/** Reserves several amounts at once, all or none (one statement): their ids, in no particular order. */
export async function createPendingTransfers(q: Db, specs: TransferSpec[], composed?: Composed): Promise<bigint[]> {
  const deltas = new Map<bigint, Delta>();
  for (const spec of specs) {
    check(spec);
    add(deltas, spec.debit, { pendingDebits: spec.amount });
    add(deltas, spec.credit, { pendingCredits: spec.amount });
  }
  const { ids } = await applyDeltas(q, { deltas: deltasOf(deltas), insert: insertRows(specs.map((s) => row(s, 'PENDING'))) }, composed);
  return ids;
}

export interface Resolver {
  kind: string;
  userId?: string | null;
}

/** A pending transfer to resolve and who resolves it. */
export interface Resolution {
  pendingId: bigint;
  userId?: string | null;
}

/**
 * Posts or voids pending transfers in one statement, all or none: each
 * resolution row is copied from its pending transfer. The unique index over
 * pending_id makes a second resolution fail whole (after waiting for the
 * first's commit), so a pending transfer moves money at most once whatever
 * the callers do.
 */
async function resolvePending(q: Db, resolutions: Resolution[], phase: 'POST' | 'VOID', kind: string, composed?: Composed) {
  const posts = sql`case when ${phase} = 'POST' then p.amount else 0 end`;
  try {
    const { ids, balances } = await applyDeltas(
      q,
      {
        pre: sql`ledger_p as (
          select t.*, r.by_user
            from unnest(${bigintsAsText(resolutions.map((r) => r.pendingId))}::text[]::bigint[], ${resolutions.map((r) => r.userId ?? null)}::uuid[]) as r(id, by_user)
            join ledger_transfers t on t.id = r.id and t.phase = 'PENDING'
        )`,
        deltas: sql`select id, sum(dp)::bigint, sum(dpd)::bigint, sum(dpc)::bigint
                      from (select p.debit_account_id as id, -${posts} as dp, -p.amount as dpd, 0::bigint as dpc from ledger_p p
                            union all
                            select p.credit_account_id, ${posts}, 0::bigint, -p.amount from ledger_p p) ledger_pd
                     group by id`,
        insert: (ok) => sql`
          insert into ledger_transfers (debit_account_id, credit_account_id, amount, phase, pending_id, kind, ref_type, ref_id, user_id)
          select p.debit_account_id, p.credit_account_id, p.amount, ${phase}, p.id, ${kind}, p.ref_type, p.ref_id, p.by_user
            from ledger_p p
           where ${ok} and (select count(*) from ledger_p) = ${resolutions.length}
          returning id, ref_id`,
      },
      composed,
    );
    return { ids, balances };
  } catch (err) {
    const ids = resolutions.map((r) => r.pendingId);
    if (isUniqueViolation(err, 'ledger_transfers_pending_once')) throw new PendingAlreadyResolvedError(ids);
    // An id is not a pending transfer: nothing was resolved.
    if (err instanceof TransferRefusedError) throw new TransferRefusedError(`transfer ${ids.join(' or ')} is not a pending transfer`, { cause: err });
    throw err;
  }
}

const one = async (p: Promise<{ ids: bigint[]; balances: Balances }>) => {
  const { ids, balances } = await p;
  return { id: ids[0]!, balances };
};

/** Completes a pending transfer: the reserved amount moves. */
export const postPendingTransfer = (q: Db, pendingId: bigint, by: Resolver, composed?: Composed) =>
  one(resolvePending(q, [{ pendingId, userId: by.userId }], 'POST', by.kind, composed));

/** Completes several pending transfers, all or none (one statement): their resolutions' ids in no particular order. */
export const postPendingTransfers = (q: Db, resolutions: Resolution[], kind: string, composed?: Composed) => resolvePending(q, resolutions, 'POST', kind, composed);

/** Releases a pending transfer: nothing moves. */
export const voidPendingTransfer = (q: Db, pendingId: bigint, by: Resolver, composed?: Composed) =>
  one(resolvePending(q, [{ pendingId, userId: by.userId }], 'VOID', by.kind, composed));

/** Posted and available (posted − pending debits) balance of an account. */
export async function accountBalance(trx: Db, id: bigint) {
  const a = await trx
    .selectFrom('ledger_accounts')
    .select(['posted', 'pending_debits', 'pending_credits', 'floor', 'currency'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { ...a, available: a.posted - a.pending_debits };
}
