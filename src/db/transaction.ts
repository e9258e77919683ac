import type { Kysely, Transaction } from 'kysely';
import type { DB } from './types.js';

export type Tx = Transaction<DB>;
export type Db = Kysely<DB>;

// 40001 serialization_failure, 40P01 deadlock_detected: the database undid
// the whole transaction, so running it again is safe.
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

export function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && RETRYABLE.has((err as { code?: string }).code ?? '');
}

/** Runs fn in one database transaction, retrying it whole on deadlock or serialization failure. */
export function inTransaction<T>(db: Db, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return retrying(() => db.transaction().execute(fn));
}

/** Runs fn again while it fails on deadlock or serialization failure (the database undid what it did). */
export async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}

/** Unique-constraint violation on the named constraint (or any, when omitted). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | null;
  if (!e || e.code !== '23505') return false;
  if (!constraint) return true;
  return e.constraint === constraint || (e.message ?? '').includes(constraint);
}
