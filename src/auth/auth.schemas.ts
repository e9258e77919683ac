import { z } from 'zod';
import { timestamp } from '../core/money.schemas.js';
import { nonEmptyText, text, uuidV4 } from '../core/schemas.js';
import { ROLES } from './roles.js';

export const role = z.enum(ROLES);

export const loginBody = z.object({
  email: text(255).meta({ example: 'admin@example.com' }),
  password: text(1024).meta({ example: 'change-me-please' }),
});

export const publicUserSchema = z
  .object({ id: z.uuid(), email: z.string(), nombres: z.string(), name: z.string(), role })
  .meta({ id: 'PublicUser' });

export const userSchema = publicUserSchema.extend({ activo: z.boolean(), createdAt: timestamp }).meta({ id: 'User' });

export const tokenPair = z.object({
  access_token: z.string().meta({ description: 'HS256 JWT with sub (user id) and exp (seconds)' }),
  refresh_token: z.string().meta({ description: 'Opaque; send as Bearer to /auth/refresh_token; single use' }),
});

export const loginResponse = tokenPair.extend({ user: publicUserSchema }).meta({ id: 'LoginResponse' });

export const createUserBody = z.object({
  email: z.email().max(255),
  password: text(1024).min(8, 'at least 8 characters'),
  nombres: nonEmptyText(255),
  role,
});

export const updateUserBody = z.object({
  nombres: nonEmptyText(255).optional(),
  role: role.optional(),
  password: text(1024).min(8, 'at least 8 characters').optional(),
  activo: z.boolean().optional(),
});

export const userIdParams = z.object({ id: uuidV4 });
