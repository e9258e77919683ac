import type { Role } from '../db/tables/auth.js';

// Users as the API shows them. `name` repeats `nombres`: existing POS
// clients read both (API.md §1). A password hash never leaves this module's
// column list.

export const userColumns = ['id', 'email', 'nombres', 'role', 'activo', 'created_at'] as const;
export type UserRow = { id: string; email: string; nombres: string; role: Role; activo: boolean; created_at: Date };

export const publicUser = (u: { id: string; email: string; nombres: string; role: Role }) => ({
  id: u.id,
  email: u.email,
  nombres: u.nombres,
  name: u.nombres,
  role: u.role,
});

export const toUser = (u: UserRow) => ({ ...publicUser(u), activo: u.activo, createdAt: u.created_at });
export type User = ReturnType<typeof toUser>;
