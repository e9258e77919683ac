import type { Actor } from '../core/actor.js';
import { ROLES, type Role } from '../db/tables/auth.js';

// Roles (API.md §1) and who may do what. Routes name one of these groups;
// the rules that depend on the caller's role live here.

export { ROLES, type Role };

export const ADMIN = ['Administrador'] as const satisfies readonly Role[];
/** Cashiers and collection-point staff, and administrators. */
export const CASHIERS = ['Administrador', 'Operador'] as const satisfies readonly Role[];
/** Everyone who reads the POS books: not a driver. */
export const STAFF = ['Administrador', 'Operador', 'Usuario'] as const satisfies readonly Role[];
export const EVERYONE = ROLES;

export const isAdmin = (actor: Pick<Actor, 'role'>) => actor.role === 'Administrador';

/** Who may collect cash for a driver's top-up: an active Administrador or Operador. */
export const canCollectCash = (user: { role: Role; activo: boolean }) => user.activo && (CASHIERS as readonly Role[]).includes(user.role);

/** The roles as existing POS front ends list them, with fixed ids (API.md §6.2). */
export const ROLE_LIST = [
  { id: 1, nombre: 'Administrador', descripcion: 'Todo: usuarios, cajas, inyecciones, billeteras, reportes' },
  { id: 2, nombre: 'Operador', descripcion: 'Cajero o personal de un punto de cobro: vende y cobra en su propia sesión' },
  { id: 3, nombre: 'Usuario', descripcion: 'Solo lectura' },
  { id: 4, nombre: 'Conductor', descripcion: 'Un conductor: solo lee su propia billetera' },
] as const satisfies ReadonlyArray<{ id: number; nombre: Role; descripcion: string }>;
