import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { insertEvents } from '../core/events.js';
import type { Db } from '../db/transaction.js';
import { groupCommit, type Outcome } from '../ledger/group-commit.js';
import {
  GuardRefusedError,
  InsufficientFundsError,
  PendingAlreadyResolvedError,
  StaleBalanceError,
  TransferRefusedError,
  bigintsAsText,
  createPendingTransfers,
  postPendingTransfers,
} from '../ledger/ledger.js';
import { confirmedEvent, topupEvent } from './wallets.events.js';
import { pendingTopupsGuard, toTopup, type TopupRow, type TopupToConfirm } from './wallets.queries.js';
import type { ConfirmedTopup, Topup } from './wallets.schemas.js';

// The statements that write cash top-ups and their confirms, each for any
// number of them at once: the ledger's transfers with the business rows and
// the events composed in, all or none. One request's write is the same
// statement with one row. Requests with no Idempotency-Key are
// group-committed (ledger/group-commit.ts): those that arrive while a batch
// is written share the next statement, so the wallet's requests cost the
// database one statement and one commit per batch, and the server one round
// trip, instead of one each. A batch never holds two confirms of one wallet
// (each names its wallet's balance before it).

/** A new record's own fields: the rest follows from its being new (pending, nothing resolved, its pending transfer drawn by the statement). */
export type NewTopupRow = Pick<
  TopupRow,
  | 'id'
  | 'driver_id'
  | 'wallet_id'
  | 'transaction_id'
  | 'collection_point_id'
  | 'collected_by_user_id'
  | 'amount'
  | 'currency'
  | 'notes'
  | 'description'
  | 'metadata'
  | 'created_by_user_id'
  | 'created_at'
>;

const pending = (r: NewTopupRow): Omit<TopupRow, 'pending_transfer_id'> => ({
  ...r,
  status: 'pending',
  updated_at: r.created_at,
  confirmed_at: null,
  confirmed_by_user_id: null,
  confirm_comment: null,
  cancelled_at: null,
  cancelled_by_user_id: null,
  cancel_reason: null,
});

/** A top-up decided by the service (every check passed): its new record, and the accounts its pending transfer moves. */
export interface CreateJob {
  row: NewTopupRow;
  /** The point's cash account, debited, and the wallet's, credited once confirmed. */
  debit: bigint;
  credit: bigint;
  /** The point's staff (the event's audience). */
  staff: string[];
}

/** A confirm of a pending record as read, by an actor. */
export interface ConfirmJob {
  actorId: string;
  record: TopupToConfirm;
  comment: string | undefined;
}

const written = sql`exists (select from ledger_ins)`;

/** Pending transfers (point → wallet), the wallet transactions, the records and the events of new top-ups. */
export async function writeCreates(q: Db, jobs: CreateJob[]): Promise<Topup[]> {
  const rows = jobs.map((j) => j.row);
  const col = <T>(pick: (r: CreateJob['row']) => T) => rows.map(pick);
  const topups = rows.map((r) => toTopup(pending(r)));
  await createPendingTransfers(
    q,
    jobs.map((j) => ({
      debit: j.debit,
      credit: j.credit,
      amount: j.row.amount,
      kind: 'wallet_cash_topup',
      refType: 'cash_collection_record',
      refId: j.row.id,
      userId: j.row.created_by_user_id,
    })),
    {
      then: sql`
        new_topups as (
          select * from unnest(${col((r) => r.id)}::uuid[], ${col((r) => r.driver_id)}::uuid[], ${col((r) => r.wallet_id)}::uuid[],
                               ${col((r) => r.transaction_id)}::uuid[], ${col((r) => r.collection_point_id)}::uuid[],
                               ${col((r) => r.collected_by_user_id)}::uuid[], ${bigintsAsText(col((r) => r.amount))}::bigint[], ${col((r) => r.currency)}::text[],
                               ${col((r) => r.notes)}::text[], ${col((r) => r.description)}::text[],
                               ${col((r) => (r.metadata === null ? null : JSON.stringify(r.metadata)))}::jsonb[], ${col((r) => r.created_by_user_id)}::uuid[],
                               ${col((r) => r.created_at.toISOString())}::timestamptz[])
            as x(id, driver_id, wallet_id, transaction_id, point_id, collector_id, amount, currency, notes, description, metadata, created_by, at)
        ),
        new_transactions as (
          insert into wallet_transactions (id, wallet_id, type, status, amount, currency, description, created_by, created_at, updated_at)
          select transaction_id, wallet_id, 'cash_topup', 'pending', amount, currency, description, created_by, at, at
            from new_topups where ${written}
        ),
        new_records as (
          insert into cash_collection_records (id, driver_id, wallet_id, transaction_id, collection_point_id, collected_by_user_id, amount,
                                               currency, notes, description, metadata, pending_transfer_id, created_by_user_id,
                                               created_at, updated_at)
          select x.id, x.driver_id, x.wallet_id, x.transaction_id, x.point_id, x.collector_id, x.amount,
                 x.currency, x.notes, x.description, x.metadata, i.id, x.created_by, x.at, x.at
            from new_topups x join ledger_ins i on i.ref_id = x.id::text
        ),
        new_events as (${insertEvents(
          topups.map((t, i) => topupEvent('wallet.topup.pending', t, jobs[i]!.staff)),
          written,
        )})`,
    },
  );
  return topups;
}

/**
 * Confirms: each record's pending transfer posted (the wallet is credited),
 * the record and its wallet transaction completed, one movement each; only
 * if every record is still pending and every wallet's balance is the one
 * read (the movement and the event name it). At most one job per wallet.
 */
export async function writeConfirms(q: Db, jobs: ConfirmJob[]): Promise<ConfirmedTopup[]> {
  const now = new Date();
  const confirmed = jobs.map(({ actorId, record, comment }): ConfirmedTopup => {
    const row: TopupRow = { ...record, status: 'completed', confirmed_at: now, confirmed_by_user_id: actorId, confirm_comment: comment ?? null, updated_at: now };
    const previousBalance = record.wallet_posted;
    return { ...toTopup(row), status: 'completed', previousBalance, newBalance: previousBalance + record.amount, confirmedAt: now, confirmedByUserId: actorId };
  });
  const col = <T>(pick: (j: ConfirmJob) => T) => jobs.map(pick);
  await postPendingTransfers(
    q,
    jobs.map((j) => ({ pendingId: j.record.pending_transfer_id, userId: j.actorId })),
    'wallet_cash_topup_confirm',
    {
      guard: pendingTopupsGuard(col((j) => j.record.id)),
      expect: new Map(jobs.map((j) => [j.record.wallet_account, j.record.wallet_posted])),
      then: sql`
        confirms as (
          select * from unnest(${col((j) => j.record.id)}::uuid[], ${col((j) => j.actorId)}::uuid[], ${col((j) => j.comment ?? null)}::text[],
                               ${col((j) => j.record.transaction_id)}::uuid[], ${col((j) => j.record.wallet_id)}::uuid[],
                               ${bigintsAsText(col((j) => j.record.amount))}::bigint[], ${bigintsAsText(col((j) => j.record.wallet_posted))}::bigint[],
                               -- Empty notes are no notes (API.md §4): the description stands in.
                               ${col((j) => j.record.notes || j.record.description)}::text[], ${col(() => randomUUID())}::uuid[])
            as x(id, actor, comment, transaction_id, wallet_id, amount, previous_balance, note, movement_id)
        ),
        confirmed_records as (
          update cash_collection_records c
             set status = 'completed', confirmed_at = ${now}, confirmed_by_user_id = x.actor, confirm_comment = x.comment, updated_at = ${now}
            from confirms x
           where c.id = x.id and ${written}
        ),
        confirmed_transactions as (
          update wallet_transactions t set status = 'completed', updated_at = ${now} from confirms x where t.id = x.transaction_id and ${written}
        ),
        touched_wallets as (update wallets w set updated_at = ${now} from confirms x where w.id = x.wallet_id and ${written}),
        new_movements as (
          insert into wallet_movements (id, wallet_id, transaction_id, type, amount, previous_balance, new_balance, note, ledger_transfer_id)
          select x.movement_id, x.wallet_id, x.transaction_id, 'cash_topup', x.amount, x.previous_balance, x.previous_balance + x.amount, x.note, i.id
            from confirms x join ledger_ins i on i.ref_id = x.id::text
        ),
        new_events as (${insertEvents(
          confirmed.map((c, i) => confirmedEvent(c, jobs[i]!.record.staff)),
          written,
        )})`,
    },
  );
  return confirmed;
}

/** What refuses a whole statement because of one of its jobs (the ledger's decision under its locks, or its unique index): nothing was written. */
const refusal = (err: unknown) =>
  err instanceof GuardRefusedError ||
  err instanceof StaleBalanceError ||
  err instanceof InsufficientFundsError ||
  err instanceof TransferRefusedError ||
  err instanceof PendingAlreadyResolvedError;

const settled = <R>(p: Promise<R>): Promise<Outcome<R>> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

/**
 * A batch processor: the jobs in one statement; when it refuses them all
 * because of one, each alone, so each gets its own answer.
 */
function allOrEachAlone<J, R>(write: (q: Db, jobs: J[]) => Promise<R[]>) {
  return async (q: Db, jobs: J[]): Promise<Array<Outcome<R>>> => {
    try {
      return (await write(q, jobs)).map((value) => ({ ok: true, value }));
    } catch (err) {
      if (jobs.length === 1 || !refusal(err)) throw err;
      return Promise.all(jobs.map(async (job) => settled(write(q, [job]).then((r) => r[0]!))));
    }
  };
}

/**
 * The top-ups' writers: on the pool (no Idempotency-Key) a job joins the
 * next batch; in a transaction it is written there alone.
 */
export function topupWriters(db: Db) {
  const creates = groupCommit({ db, processBatch: allOrEachAlone(writeCreates), singleStatement: true });
  const confirmAll = allOrEachAlone(writeConfirms);
  const confirms = groupCommit<ConfirmJob, ConfirmedTopup>({
    db,
    singleStatement: true,
    // A wallet's second confirm in a batch would name the balance the first
    // one changes: it waits for the next batch, so only the first of each
    // wallet is written now (the others read again, as any confirm whose
    // wallet changed since it read it).
    async processBatch(q, jobs) {
      const wallets = new Set<string>();
      const firsts: number[] = [];
      jobs.forEach((j, i) => {
        if (wallets.has(j.record.wallet_id)) return;
        wallets.add(j.record.wallet_id);
        firsts.push(i);
      });
      const outcomes: Array<Outcome<ConfirmedTopup>> = jobs.map((j) => ({ ok: false, error: new StaleBalanceError(j.record.wallet_account) }));
      const done = await confirmAll(
        q,
        firsts.map((i) => jobs[i]!),
      );
      firsts.forEach((i, k) => (outcomes[i] = done[k]!));
      return outcomes;
    },
  });
  return {
    create: (q: Db, job: CreateJob): Promise<Topup> => (q === db ? creates.submit(job) : writeCreates(q, [job]).then((r) => r[0]!)),
    confirm: (q: Db, job: ConfirmJob): Promise<ConfirmedTopup> => (q === db ? confirms.submit(job) : writeConfirms(q, [job]).then((r) => r[0]!)),
    /** Fails the jobs still waiting for a batch (a shutdown's time is up): they wrote nothing. */
    abortQueued(error: unknown) {
      creates.abortQueued(error);
      confirms.abortQueued(error);
    },
  };
}

export type TopupWriters = ReturnType<typeof topupWriters>;
