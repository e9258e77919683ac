import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../db/transaction.js';
import { ADMIN } from '../auth/roles.js';
import { posError } from '../core/schemas.js';
import { runVerify, type VerifyCheck } from '../ledger/verify.js';

const verifyResponse = z
  .object({
    ok: z.boolean(),
    checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
  })
  .meta({ id: 'VerifyReport' });

export const ledgerRoutes: FastifyPluginAsyncZod<{ db: Db; checks: VerifyCheck[] }> = async (app, { db, checks }) => {
  app.get('/ledger/verify', {
    config: { roles: ADMIN },
    schema: {
      tags: ['ledger'],
      summary: 'Recompute every balance and total from the immutable transfers and compare',
      security: [{ bearerAuth: [] }],
      response: { 200: verifyResponse, 401: posError, 403: posError },
    },
    handler: async () => runVerify(db, checks),
  });
};
