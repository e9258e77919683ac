import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { commonError } from '../core/errors.js';

// Money writes waiting in this process are bounded (API.md §6.1): beyond
// MAX_QUEUED_WRITES, a new one is refused with 503 OVERLOADED and writes
// nothing, instead of growing the group-commit queue and the pool's wait
// list without limit. The count covers a write from its admission to its
// answer, whatever it waits on (a batch, a connection, a row lock).
//
// The handler is wrapped, so the refusal comes after authentication, the
// role check and validation, and before anything is looked up (the check
// order of §6.7); it is never stored under an Idempotency-Key. Once a
// shutdown's time is up (stop()), every new write is refused the same way
// with SHUTTING_DOWN.

/** The refusal of a write once a shutdown's time is up: nothing was written. */
export const shuttingDown = () => commonError('SHUTTING_DOWN', 'The service is shutting down; nothing was written; retry shortly', undefined, 1);

export function installWriteAdmission(app: FastifyInstance, maxQueued: number) {
  let queued = 0;
  let stopped = false;
  app.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    const handler = route.handler as (...args: Parameters<RouteHandlerMethod>) => unknown;
    route.handler = async function admitted(this: FastifyInstance, request, reply) {
      if (stopped) throw shuttingDown();
      if (queued >= maxQueued) throw commonError('OVERLOADED', 'The service is overloaded; retry shortly', undefined, 1);
      queued++;
      try {
        return await handler.call(this, request, reply);
      } finally {
        queued--;
      }
    };
  });
  return {
    /** Money writes admitted and not yet answered. */
    get queued() {
      return queued;
    },
    /** Refuses every write from now on (a shutdown's time is up). */
    stop() {
      stopped = true;
    },
  };
}
