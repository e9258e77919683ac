import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { balancesRoutes } from './balances.routes.js';
import { driversRoutes } from './drivers.routes.js';
import { statusRoutes } from './status.routes.js';
import type { WalletsService } from './wallets.service.js';

// The wallet family (API.md §4): every route answers with the
// {success, message, data, meta?} envelope, errors included.
export const walletsRoutes: FastifyPluginAsyncZod<{ wallets: WalletsService }> = async (app, opts) => {
  await app.register(driversRoutes, opts);
  await app.register(balancesRoutes, opts);
  await app.register(statusRoutes, opts);
};
