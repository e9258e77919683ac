import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WalletsService } from './wallets.service.js';

// Stub: filled in by the wallets feature (issue 4).
export const walletsRoutes: FastifyPluginAsyncZod<{ wallets: WalletsService }> = async () => {};
