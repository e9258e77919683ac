import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
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

const KEY = /^[\x21-\x7e]{1,255}$/;

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

/** The request's idempotency scope, or undefined when no key was sent. */
export function idempotencyOf<T>(
  request: FastifyRequest,
  status: number,
  render: (result: T) => unknown,
): Idempotency<T> | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || !KEY.test(key)) {
    throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  const path = request.url.split('?', 1)[0]!;
  return {
    userId: request.actor!.id,
    method: request.method,
    path,
    key,
    requestHash: createHash('sha256').update(canonical(request.body ?? null)).digest('hex'),
    family: request.family,
    status,
    render,
  };
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: DomainError };

/**
 * Runs a money operation in one transaction (retried whole on deadlock), and
 * when an Idempotency-Key came with the request, records its response there too.
 */
export async function runIdempotent<T>(db: Db, idem: Idempotency<T> | undefined, fn: (trx: Tx) => Promise<T>): Promise<T> {
  if (!idem) return inTransaction(db, fn);
  const outcome = await inTransaction<Outcome<T>>(db, async (trx) => {
    const lockKey = [idem.userId, idem.method, idem.path, idem.key].join('\n');
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_xact_lock(hashtextextended(${lockKey}, 0)) as locked`.execute(trx);
    if (!rows[0]?.locked) {
      throw commonError('IDEMPOTENCY_REQUEST_IN_FLIGHT', 'A request with this Idempotency-Key is still being processed');
    }
    const previous = await trx
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'status_code', 'body'])
      .where('user_id', '=', idem.userId)
      .where('method', '=', idem.method)
      .where('path', '=', idem.path)
      .where('key', '=', idem.key)
      .executeTakeFirst();
    if (previous) {
      if (previous.request_hash !== idem.requestHash) {
        throw commonError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');
      }
      throw new ReplayedResponse(previous.status_code, previous.body);
    }

    // A refusal (4xx) is a completed response too and must replay as such,
    // but its partial effects must not stay: undo them to a savepoint.
    await sql`savepoint idempotent_effect`.execute(trx);
    let status: number;
    let body: unknown;
    let result: Outcome<T>;
    try {
      const value = await fn(trx);
      result = { ok: true, value };
      status = idem.status;
      body = idem.render(value);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      await sql`rollback to savepoint idempotent_effect`.execute(trx);
      result = { ok: false, error: err };
      status = err.status;
      body = errorBody(idem.family, err);
    }
    await trx
      .insertInto('idempotency_keys')
      .values({
        user_id: idem.userId,
        method: idem.method,
        path: idem.path,
        key: idem.key,
        request_hash: idem.requestHash,
        status_code: status,
        body: JSON.stringify(body),
      })
      .execute();
    return result;
  });
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** Keys are kept at least 24 h (API.md §0); older ones are dropped. */
export async function purgeIdempotencyKeys(db: Db, olderThanHours = 48): Promise<number> {
  const r = await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${olderThanHours})`)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
