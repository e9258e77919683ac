import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { CajasService } from './cajas.service.js';

// Stub: filled in by the cajas feature (issue 3).
export const cajasRoutes: FastifyPluginAsyncZod<{ cajas: CajasService }> = async () => {};
