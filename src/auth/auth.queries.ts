import type { Role } from '../db/tables/auth.js';

// Users as the API shows them. `name` repeats `nombres`: existing POS
// clients read both (API.md §1). A password hash never leaves this module's
// column list.

export const userColumns = ['id', 'email', 'nombres', 'role', 'activo', 'p_apellido', 's_apellido', 'fecha_nacimiento', 'genero', 'created_at'] as const;
export type UserRow = {
  id: string;
  email: string;
  nombres: string;
  role: Role;
  activo: boolean;
  p_apellido: string | null;
  s_apellido: string | null;
  fecha_nacimiento: string | null;
  genero: 'M' | 'F' | 'O' | null;
  created_at: Date;
};

export const publicUser = (u: { id: string; email: string; nombres: string; role: Role }) => ({
  id: u.id,
  email: u.email,
  nombres: u.nombres,
  name: u.nombres,
  role: u.role,
});

/** `estado` repeats `activo`, and `persona` groups the names: POS front ends read them so (API.md §6.2). */
export const toUser = (u: UserRow) => ({
  ...publicUser(u),
  activo: u.activo,
  estado: u.activo,
  persona: { nombres: u.nombres, p_apellido: u.p_apellido, s_apellido: u.s_apellido, fecha_nacimiento: u.fecha_nacimiento, genero: u.genero },
  createdAt: u.created_at,
});
export type User = ReturnType<typeof toUser>;
