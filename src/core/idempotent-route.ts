import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/transaction.js';
import { inTransaction } from '../db/transaction.js';
import './actor.js';
import { badRequest, type DomainError } from './errors.js';
import { canonical, claimIdempotencyKeys, recordIdempotentResponses, type Idempotency } from './idempotency.js';

// The HTTP side of Idempotency-Key (API.md §0): which requests carry a key,
// how their scope and body hash are taken, and the one handler shape every
// money route uses (respondIdempotent). The stored body is the response as
// the route's schema encodes it, so a replay is byte-identical.

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A money route: an Idempotency-Key claims its first completed response, a refusal at validation included. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** The handler took charge of the key: whatever it answers is stored by it. */
    idempotencyHandled: boolean;
    /** The body as parsed, before validation dropped unknown fields: what an Idempotency-Key compares. */
    parsedBody: unknown;
  }
}

// 1–255 characters (API.md §0); control characters are not part of a key.
const KEY = /^\P{Cc}{1,255}$/u;

export function installIdempotency(app: FastifyInstance) {
  app.decorateRequest('idempotencyHandled', false);
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

/** The schema a route answers `status` with, to encode a stored response exactly as the client gets it. */
export function responseSchema(request: FastifyRequest, status: number): z.ZodType | undefined {
  const response = request.routeOptions.schema?.response as Record<number, unknown> | undefined;
  const schema = response?.[status];
  return schema instanceof z.ZodType ? schema : undefined;
}

/**
 * The handler of every money route: takes the request's Idempotency-Key (if
 * any), runs the operation with it, and answers `status` with the result
 * (`respond` wraps it, e.g. in the wallet envelope). The operation records
 * the key's response in its own transaction (runIdempotent, or a batch).
 */
export async function respondIdempotent<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  status: 200 | 201,
  run: (idem: Idempotency<T> | undefined) => Promise<T>,
  respond: (result: T) => unknown = (result) => result,
) {
  // A route that takes keys must say so, or its validation refusals would not claim them.
  if (!request.routeOptions.config.idempotent) throw new Error(`${request.routeOptions.url} reads Idempotency-Key but is not marked idempotent`);
  request.idempotencyHandled = true;
  const schema = responseSchema(request, status);
  const idem = scopeOf<T>(request, status, (result) => (schema ? z.encode(schema, respond(result)) : respond(result)));
  const result = await run(idem);
  return reply.code(status).send(respond(result));
}

/**
 * A keyed request to a money route refused at validation (400 for its path,
 * query or body) before its handler could take the key: that refusal is its
 * first completed response (API.md §0) and claims the key like any other,
 * so the same key with a corrected body is a 422, not a second request.
 * Answers what to send instead when the key is taken: in flight (409), used
 * with another body (422), or stored (replayed); 'stored' once the refusal
 * is stored as the answer; undefined when there is no key to claim. A body
 * that could not be parsed (malformed JSON, too deep, too large, not JSON)
 * never gets here: there is nothing to compare a retry with.
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
