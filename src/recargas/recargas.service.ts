import type { CajasService } from '../cajas/cajas.service.js';
import type { Db } from '../db/transaction.js';

// Stub: filled in by the recargas feature (issue 3).
export function recargasServiceFactory(deps: { db: Db; cajas: CajasService; currency: string }) {
  return { deps };
}
export type RecargasService = ReturnType<typeof recargasServiceFactory>;
