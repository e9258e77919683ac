import { sql } from 'kysely';
import { inTransaction, isUniqueViolation, retrying, type Db, type Tx } from '../db/transaction.js';
import { DomainError, ReplayedResponse, commonError } from './errors.js';
import { errorBody, type Family } from './family.js';

// Idempotency-Key (API.md §0). The key's record is written in the same
// transaction as the money it moved, under a transaction-scoped advisory lock:
// a crash leaves neither, a retry runs again; a concurrent twin finds the lock
// taken and gets 409; a later retry finds the record and gets its response.

export interface Idempotency<T> {
  userId: string;
  method: string;
  path: string;
  key: string;
  requestHash: string;
  family: Family;
  status: number;
  render: (result: T) => unknown;
}

/** What identifies a request's key; its render function is not needed to claim it. */
type Scope = Omit<Idempotency<unknown>, 'render'>;

/** Canonical JSON: object keys sorted, so bodies compare as parsed JSON. Bodies nest at most 64 levels (json-body.ts). */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const inFlightError = () => commonError('IDEMPOTENCY_REQUEST_IN_FLIGHT', 'A request with this Idempotency-Key is still being processed');
export const keyReusedError = () => commonError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');

/**
 * The CTE `idem_claims(n, claim, status_code, body)` that claims the keys of
 * `scopes` (position n from 1; undefined = no key): a transaction-scoped
 * advisory lock per key, then its stored response. `claim` is IN_FLIGHT
 * (the lock is taken elsewhere, or the same key comes twice here),
 * KEY_REUSED (stored with another body), REPLAY, or null: the request may
 * run. The one definition of a claim: claimIdempotencyKeys runs it alone,
 * the top-up batch inside its statement.
 *
 * The lookup reads the statement's snapshot, which may predate the commit of
 * the twin whose lock was just released: that twin's key is then missed, and
 * storing this request's key fails on the primary key, undoing the
 * statement. Running it again finds the key (runIdempotent does so).
 */
export function claimKeysSql(scopes: ReadonlyArray<Scope | undefined>) {
  const col = <T>(pick: (s: Scope) => T) => scopes.map((s) => (s ? pick(s) : null));
  return sql`
    idem_scopes as (
      select * from unnest(${col((s) => [s.userId, s.method, s.path, s.key].join('\n'))}::text[], ${col((s) => s.userId)}::uuid[],
                           ${col((s) => s.method)}::text[], ${col((s) => s.path)}::text[], ${col((s) => s.key)}::text[],
                           ${col((s) => s.requestHash)}::text[])
        with ordinality as s(lock_key, user_id, method, path, key, request_hash, n)
       where lock_key is not null
    ),
    idem_locks as materialized (
      select n, pg_try_advisory_xact_lock(hashtextextended(lock_key, 0)) as locked,
             row_number() over (partition by lock_key order by n) as nth
        from idem_scopes
    ),
    idem_claims as (
      select s.n,
             case when not l.locked or l.nth > 1 then 'IN_FLIGHT'
                  when k.request_hash is null then null
                  when k.request_hash <> s.request_hash then 'KEY_REUSED'
                  else 'REPLAY' end as claim,
             k.status_code, k.body
        from idem_locks l
        join idem_scopes s on s.n = l.n
        -- A probe of the primary key per key, whatever the statistics: the
        -- LIMIT keeps the planner from turning the lookup into a join, which
        -- a plan made while the table was small does as a scan of all of it.
        left join lateral (
          select k.request_hash, k.status_code, k.body from idempotency_keys k
           where k.user_id = s.user_id and k.method = s.method and k.path = s.path and k.key = s.key
           limit 1
        ) k on true
    )`;
}

export type Claim = 'IN_FLIGHT' | 'KEY_REUSED' | 'REPLAY' | null;

/** What a claim answers instead of running the request, if anything. */
export function claimAnswer(row: { claim: Claim; status_code: number | null; body: string | null }): Error | undefined {
  if (row.claim === 'IN_FLIGHT') return inFlightError();
  if (row.claim === 'KEY_REUSED') return keyReusedError();
  if (row.claim === 'REPLAY') return new ReplayedResponse(row.status_code!, row.body!);
  return undefined;
}

/**
 * Claims the keys of several requests at once (claimKeysSql). For each
 * scope: undefined when the request may run, or what to answer instead.
 */
export async function claimIdempotencyKeys(trx: Tx, scopes: ReadonlyArray<Scope | undefined>): Promise<Array<Error | undefined>> {
  if (!scopes.some(Boolean)) return scopes.map(() => undefined);
  const { rows } = await sql<{ n: string; claim: Claim; status_code: number | null; body: string | null }>`
    with ${claimKeysSql(scopes)}
    select n::text, claim, status_code, body from idem_claims`.execute(trx);
  const answers: Array<Error | undefined> = scopes.map(() => undefined);
  for (const row of rows) answers[Number(row.n) - 1] = claimAnswer(row);
  return answers;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: DomainError };

/** The response a completed request stores under its key: a success as rendered, a refusal (4xx) in its family's body. */
export function storedResponse<T>(idem: Idempotency<T>, outcome: Outcome<T>): { status_code: number; body: string } {
  return outcome.ok
    ? { status_code: idem.status, body: JSON.stringify(idem.render(outcome.value)) }
    : { status_code: outcome.error.status, body: JSON.stringify(errorBody(idem.family, outcome.error)) };
}

/** Stores the responses of claimed requests (storedResponse). */
export async function recordIdempotentResponses<T>(trx: Tx, entries: Array<{ idem: Idempotency<T>; outcome: Outcome<T> }>) {
  if (entries.length === 0) return;
  await trx
    .insertInto('idempotency_keys')
    .values(
      entries.map(({ idem, outcome }) => ({
        user_id: idem.userId,
        method: idem.method,
        path: idem.path,
        key: idem.key,
        request_hash: idem.requestHash,
        ...storedResponse(idem, outcome),
      })),
    )
    .execute();
}

/** The key was stored by a twin this transaction's lookup could not see yet (claimKeysSql). */
export const isKeyStoredMeanwhile = (err: unknown) => isUniqueViolation(err, 'idempotency_keys_pkey');

/**
 * Runs a money operation in one transaction (retried whole on deadlock), and
 * when an Idempotency-Key came with the request, records its response there too.
 */
export async function runIdempotent<T>(db: Db, idem: Idempotency<T> | undefined, fn: (trx: Tx) => Promise<T>): Promise<T> {
  if (!idem) return inTransaction(db, fn);
  const attempt = () =>
    inTransaction<Outcome<T>>(db, async (trx) => {
      const [refusal] = await claimIdempotencyKeys(trx, [idem]);
      if (refusal) throw refusal;
      // A refusal (4xx) is a completed response too and must replay as such,
      // but its partial effects must not stay: undo them to a savepoint.
      await sql`savepoint idempotent_effect`.execute(trx);
      let result: Outcome<T>;
      try {
        result = { ok: true, value: await fn(trx) };
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        await sql`rollback to savepoint idempotent_effect`.execute(trx);
        result = { ok: false, error: err };
      }
      await recordIdempotentResponses(trx, [{ idem, outcome: result }]);
      return result;
    });
  let outcome: Outcome<T>;
  try {
    outcome = await attempt();
  } catch (err) {
    // Undone whole; the second claim sees the twin's key and replays it.
    if (!isKeyStoredMeanwhile(err)) throw err;
    outcome = await attempt();
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/**
 * runIdempotent for an operation that writes in one statement, atomic on its
 * own: without a key it runs with no transaction around it (BEGIN and COMMIT
 * are two round trips, each costing both servers more than a short
 * statement), retried the same way on deadlock; with a key, as runIdempotent.
 */
export function runIdempotentStatement<T>(db: Db, idem: Idempotency<T> | undefined, fn: (q: Db) => Promise<T>): Promise<T> {
  return idem ? runIdempotent(db, idem, fn) : retrying(() => fn(db));
}

/** Keys are kept at least 24 h (API.md §0); older ones are dropped. */
export async function purgeIdempotencyKeys(db: Db, olderThanHours = 48): Promise<number> {
  const r = await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${olderThanHours})`)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
