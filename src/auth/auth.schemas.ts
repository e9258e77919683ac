import { z } from 'zod';
import { timestamp } from '../core/money.schemas.js';
import { nonEmptyText, text, uuidV4 } from '../core/schemas.js';
import { ROLE_LIST, ROLES } from './roles.js';

export const role = z.enum(ROLES);

export const loginBody = z.object({
  email: text(255).meta({ example: 'admin@example.com' }),
  password: text(1024).meta({ example: 'change-me-please' }),
});

export const publicUserSchema = z
  .object({ id: z.uuid(), email: z.string(), nombres: z.string(), name: z.string(), role })
  .meta({ id: 'PublicUser' });

const genero = z.enum(['M', 'F', 'O']);

/** A calendar day, YYYY-MM-DD, that exists (no 2025-02-30). */
const day = z.iso.date().refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString().startsWith(s), 'must be a real date');

export const personaSchema = z.object({
  nombres: z.string(),
  p_apellido: z.string().nullable(),
  s_apellido: z.string().nullable(),
  fecha_nacimiento: z.string().nullable().meta({ description: 'YYYY-MM-DD' }),
  genero: genero.nullable(),
});

export const userSchema = publicUserSchema
  .extend({
    activo: z.boolean(),
    estado: z.boolean().meta({ description: 'The same as activo (POS front ends read estado)' }),
    persona: personaSchema,
    createdAt: timestamp,
  })
  .meta({ id: 'User' });

export const tokenPair = z.object({
  access_token: z.string().meta({ description: 'HS256 JWT with sub (user id) and exp (seconds)' }),
  refresh_token: z.string().meta({ description: 'Opaque; send as Bearer to /auth/refresh_token; single use' }),
});

export const loginResponse = tokenPair.extend({ user: publicUserSchema }).meta({ id: 'LoginResponse' });

/** The persona fields a POS front end may send when creating or changing a user. */
const personaFields = {
  p_apellido: text(255).nullable().optional(),
  s_apellido: text(255).nullable().optional(),
  fecha_nacimiento: day.nullable().optional(),
  genero: genero.nullable().optional(),
};

const password = text(1024).min(8, 'at least 8 characters');

export const createUserBody = z.object({
  email: z.email().max(255),
  password,
  nombres: nonEmptyText(255),
  role,
  ...personaFields,
});

export const updateUserBody = z
  .object({
    nombres: nonEmptyText(255).optional(),
    role: role.optional(),
    password: password.optional(),
    activo: z.boolean().optional(),
    estado: z.boolean().optional().meta({ description: 'Alias of activo; both given and different is a 400' }),
    ...personaFields,
  })
  .refine((b) => b.activo === undefined || b.estado === undefined || b.activo === b.estado, {
    message: 'activo and estado must agree when both are given',
    path: ['estado'],
  });

const roleIds = ROLE_LIST.filter((r) => r.nombre !== 'Conductor').map((r) => r.id);

export const registerBody = z.object({
  email: z.email().max(255),
  password,
  nombres: nonEmptyText(255),
  name: text(255).optional().meta({ description: 'Ignored: nombres is the name (POS front ends send both)' }),
  estado: z.boolean().optional().meta({ description: 'false creates the user deactivated' }),
  id_role: z
    .number()
    .int()
    .refine((id) => roleIds.includes(id as never), `must be one of ${roleIds.join(', ')} (drivers are created through /drivers)`)
    .optional()
    .meta({ description: '1 Administrador, 2 Operador, 3 Usuario (default)' }),
  ...personaFields,
});

export const roleListSchema = z
  .array(z.object({ id: z.number(), nombre: role, descripcion: z.string() }))
  .meta({ id: 'RoleList' });

export const userIdParams = z.object({ id: uuidV4 });
