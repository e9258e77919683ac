import { z } from 'zod';
import type { NewEvent } from '../core/events.js';
import { inyeccionSchema, recargaSchema, type Inyeccion, type Recarga } from './recargas.schemas.js';

// The events of the top-up desk (API.md §6.5), with their data as the REST
// routes return it. A sale's own event is written by the batch statement
// (sales.batch.ts), in the same shape.

export const annulledEvent = (r: Recarga, cashier: string): NewEvent => ({
  type: 'recarga.annulled',
  data: z.encode(recargaSchema, r),
  audience: { users: [cashier] },
});

export const injectionEvent = (i: Inyeccion, cashier: string): NewEvent => ({
  type: 'injection.completed',
  data: z.encode(inyeccionSchema, i),
  audience: { users: [cashier] },
});
