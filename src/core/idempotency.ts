import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { inTransaction, type Db, type Tx } from '../db/transaction.js';
import { DomainError, ReplayedResponse, badRequest, commonError } from './errors.js';
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

// 1–255 characters (API.md §0); control characters are not part of a key.
const KEY = /^\P{Cc}{1,255}$/u;

/** Canonical JSON: object keys sorted, so bodies compare as parsed JSON. */
function canonical(value: unknown): string {
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

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A money route: an Idempotency-Key claims its first completed response, a refusal at validation included. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** The handler took charge of the key (idempotencyOf): whatever it answers is stored by it. */
    idempotencyHandled: boolean;
  }
}

export function installIdempotency(app: FastifyInstance) {
  app.decorateRequest('idempotencyHandled', false);
}

/** The request's idempotency scope, or undefined when no key was sent. Called by the handlers of money routes. */
export function idempotencyOf<T>(
  request: FastifyRequest,
  status: number,
  render: (result: T) => unknown,
): Idempotency<T> | undefined {
  // A route that takes keys must say so, or its validation refusals would not claim them.
  if (!request.routeOptions.config.idempotent) throw new Error(`${request.routeOptions.url} reads Idempotency-Key but is not marked idempotent`);
  request.idempotencyHandled = true;
  return scopeOf(request, status, render);
}

function scopeOf<T>(request: FastifyRequest, status: number, render: (result: T) => unknown): Idempotency<T> | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || !KEY.test(key)) {
    throw badRequest('Idempotency-Key must be 1 to 255 characters, none of them a control character');
  }
  // The path as the route understood it (pattern + validated parameters), not
  // as spelled: an upper-case UUID or a percent-encoded segment is the same
  // resource and must find the same key.
  const params = request.params as Record<string, unknown> | undefined;
  const path = params && Object.keys(params).length > 0 ? `${request.routeOptions.url} ${canonical(params)}` : request.routeOptions.url!;
  return {
    userId: request.actor!.id,
    method: request.method,
    path,
    key,
    // Compared as parsed JSON, unknown fields included (API.md §0).
    requestHash: createHash('sha256').update(canonical(request.parsedBody ?? null)).digest('hex'),
    family: request.family,
    status,
    render,
  };
}

/** What identifies a request's key; its render function is not needed to claim it. */
type Scope = Omit<Idempotency<unknown>, 'render'>;

/** The text whose hash names the key's advisory lock. */
export const lockKey = (i: Scope) => [i.userId, i.method, i.path, i.key].join('\n');

export const inFlightError = () => commonError('IDEMPOTENCY_REQUEST_IN_FLIGHT', 'A request with this Idempotency-Key is still being processed');
export const keyReusedError = () => commonError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');

/**
 * Claims the keys of several requests at once (one statement for the locks,
 * one for the lookups). For each scope: undefined when the request may run,
 * or what to answer instead: 409 (the same key is in flight, here or in
 * another transaction), 422 (the key was used with another body), or the
 * stored response to replay.
 */
export async function claimIdempotencyKeys(trx: Tx, scopes: ReadonlyArray<Scope | undefined>): Promise<Array<Error | undefined>> {
  const answers: Array<Error | undefined> = scopes.map(() => undefined);
  const keyed = scopes.flatMap((s, i) => (s ? [{ s, i }] : []));
  if (keyed.length === 0) return answers;
  const { rows } = await sql<{ locked: boolean }>`
    select pg_try_advisory_xact_lock(hashtextextended(k, 0)) as locked
      from unnest(${keyed.map(({ s }) => lockKey(s))}::text[]) with ordinality as t(k, n)
     order by n`.execute(trx);
  const seen = new Set<string>();
  keyed.forEach(({ s, i }, n) => {
    const k = lockKey(s);
    // Advisory locks are re-entrant within a transaction: a twin in the same batch is in flight too.
    if (!rows[n]?.locked || seen.has(k)) {
      answers[i] = inFlightError();
    }
    seen.add(k);
  });
  const lookups = keyed.filter(({ i }) => !answers[i]);
  if (lookups.length === 0) return answers;
  const stored = await sql<{ user_id: string; method: string; path: string; key: string; request_hash: string; status_code: number; body: string }>`
    select k.user_id, k.method, k.path, k.key, k.request_hash, k.status_code, k.body
      from idempotency_keys k
      join unnest(${lookups.map(({ s }) => s.userId)}::uuid[], ${lookups.map(({ s }) => s.method)}::text[],
                  ${lookups.map(({ s }) => s.path)}::text[], ${lookups.map(({ s }) => s.key)}::text[]) as v(user_id, method, path, key)
        on k.user_id = v.user_id and k.method = v.method and k.path = v.path and k.key = v.key`.execute(trx);
  const byKey = new Map(stored.rows.map((r) => [[r.user_id, r.method, r.path, r.key].join('\n'), r]));
  for (const { s, i } of lookups) {
    const previous = byKey.get(lockKey(s));
    if (!previous) continue;
    answers[i] =
      previous.request_hash !== s.requestHash
        ? keyReusedError()
        : new ReplayedResponse(previous.status_code, previous.body);
  }
  return answers;
}

/** Stores the responses of claimed requests: a success as rendered, a refusal (4xx) in its family's body. */
export async function recordIdempotentResponses<T>(trx: Tx, entries: Array<{ idem: Idempotency<T>; outcome: { ok: true; value: T } | { ok: false; error: DomainError } }>) {
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
        status_code: outcome.ok ? idem.status : outcome.error.status,
        body: JSON.stringify(outcome.ok ? idem.render(outcome.value) : errorBody(idem.family, outcome.error)),
      })),
    )
    .execute();
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: DomainError };

/**
 * Runs a money operation in one transaction (retried whole on deadlock), and
 * when an Idempotency-Key came with the request, records its response there too.
 */
export async function runIdempotent<T>(db: Db, idem: Idempotency<T> | undefined, fn: (trx: Tx) => Promise<T>): Promise<T> {
  if (!idem) return inTransaction(db, fn);
  const outcome = await inTransaction<Outcome<T>>(db, async (trx) => {
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
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/**
 * A keyed request to a money route refused at validation (400 for its path,
 * query or body) before its handler could take the key: that refusal is its
 * first completed response (API.md §0) and claims the key like any other,
 * so the same key with a corrected body is a 422, not a second request.
 * Answers what to send instead when the key is taken: in flight (409), used
 * with another body (422), or stored (replayed); 'stored' once the refusal
 * is stored as the answer; undefined when there is no key to claim. A body
 * that could not be parsed (malformed JSON, too large, not JSON) never gets
 * here: there is nothing to compare a retry with.
 */
export async function claimKeyWithRefusal(db: Db, request: FastifyRequest, refusal: DomainError): Promise<Error | 'stored' | undefined> {
  if (!request.routeOptions.config.idempotent || request.idempotencyHandled || !request.actor) return undefined;
  let scope: Idempotency<unknown> | undefined;
  try {
    scope = scopeOf(request, refusal.status, () => undefined);
  } catch {
    return undefined; // A malformed key claims nothing; the refusal answers.
  }
  if (!scope) return undefined;
  const claimed = scope;
  return inTransaction<Error | 'stored'>(db, async (trx) => {
    const [answer] = await claimIdempotencyKeys(trx, [claimed]);
    if (answer) return answer;
    await recordIdempotentResponses(trx, [{ idem: claimed, outcome: { ok: false, error: refusal } }]);
    return 'stored';
  });
}

/** Keys are kept at least 24 h (API.md §0); older ones are dropped. */
export async function purgeIdempotencyKeys(db: Db, olderThanHours = 48): Promise<number> {
  const r = await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${olderThanHours})`)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
