import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RecargasService } from './recargas.service.js';

// Stub: filled in by the recargas feature (issue 3).
export const recargasRoutes: FastifyPluginAsyncZod<{ recargas: RecargasService }> = async () => {};
