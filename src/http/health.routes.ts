import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ping } from '../db/database.js';
import { pendingMigrations } from '../db/migrate.js';
import type { Db } from '../db/transaction.js';

const status = z.object({ status: z.string() });

export const healthRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  let migrated = false;

  app.get('/health', {
    config: { public: true },
    schema: { tags: ['health'], summary: 'The process is up', response: { 200: status } },
    handler: async () => ({ status: 'ok' }),
  });

  app.get('/ready', {
    config: { public: true },
    schema: { tags: ['health'], summary: 'The database answers and migrations are applied', response: { 200: status, 503: status } },
    handler: async (_request, reply) => {
      if (!(await ping(db))) return reply.code(503).header('retry-after', '1').send({ status: 'database unreachable' });
      if (!migrated) {
        try {
          migrated = (await pendingMigrations(db as never)) === 0;
        } catch {
          return reply.code(503).header('retry-after', '1').send({ status: 'database unreachable' });
        }
        if (!migrated) return reply.code(503).header('retry-after', '1').send({ status: 'migrations pending' });
      }
      return { status: 'ready' };
    },
  });
};
