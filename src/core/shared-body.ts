import type { FastifyReply, FastifyRequest } from 'fastify';
import { responseSchema } from './idempotent-route.js';

// The JSON of a shared read's result (core/shared-read.ts hands the same
// object to every request that joined the read), encoded by the route's
// response schema once for all of them: under load the encoding was the
// largest part of a balance read's cost. The route's serializer would
// produce the same bytes (fastify-type-provider-zod: encode, then
// JSON.stringify). Keyed by route too, as two routes may share a read.

const encoded = new WeakMap<object, { route: string; json: string }>();

/** Answers 200 with `body(result)` as the route's schema encodes it, encoding it once per result object. */
export function sendShared<T extends object>(request: FastifyRequest, reply: FastifyReply, result: T, body: (result: T) => unknown = (r) => r) {
  const route = request.routeOptions.url ?? '';
  let hit = encoded.get(result);
  if (hit?.route !== route) {
    const schema = responseSchema(request, 200);
    if (!schema) throw new Error(`${route} has no 200 response schema to encode a shared body with`);
    hit = { route, json: JSON.stringify(schema.encode(body(result))) };
    encoded.set(result, hit);
  }
  return reply.code(200).type('application/json; charset=utf-8').send(hit.json);
}
