import type { Db } from '../db/transaction.js';

// Stub: filled in by the cajas feature (issue 3).
export function cajasServiceFactory(deps: { db: Db; currency: string }) {
  return { deps };
}
export type CajasService = ReturnType<typeof cajasServiceFactory>;
