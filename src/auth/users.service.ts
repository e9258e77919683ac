import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { inTransaction, isUniqueViolation, type Db } from '../db/transaction.js';
import { authError } from './auth.errors.js';
import { publicUser, revokeSessions } from './auth.service.js';
import type { Role } from '../db/tables/auth.js';
import { hashPassword } from './password.js';

export interface NewUser {
  email: string;
  password: string;
  nombres: string;
  role: Role;
}

const columns = ['id', 'email', 'nombres', 'role', 'activo', 'created_at'] as const;
type UserRow = { id: string; email: string; nombres: string; role: Role; activo: boolean; created_at: Date };

export const userJson = (u: UserRow) => ({ ...publicUser(u), activo: u.activo, createdAt: u.created_at.toISOString() });

export function usersServiceFactory({ db }: { db: Db }) {
  async function get(id: string) {
    const u = await db.selectFrom('users').select(columns).where('id', '=', id).executeTakeFirst();
    if (!u) throw authError('USER_NOT_FOUND', 'User not found');
    return u;
  }

  return {
    get,
    list: () => db.selectFrom('users').select(columns).orderBy('created_at').orderBy('id').execute(),

    async create(input: NewUser, trx: Db = db) {
      try {
        return await trx
          .insertInto('users')
          .values({
            id: randomUUID(),
            email: input.email.trim().toLowerCase(),
            password_hash: await hashPassword(input.password),
            nombres: input.nombres,
            role: input.role,
          })
          .returning(columns)
          .executeTakeFirstOrThrow();
      } catch (err) {
        if (isUniqueViolation(err, 'users_email_key')) throw authError('EMAIL_TAKEN', 'A user with this email already exists');
        throw err;
      }
    },

    async update(id: string, patch: { nombres?: string; role?: Role; password?: string; activo?: boolean }) {
      const before = await get(id);
      const set: Record<string, unknown> = { updated_at: new Date() };
      if (patch.nombres !== undefined) set.nombres = patch.nombres;
      if (patch.role !== undefined) set.role = patch.role;
      if (patch.activo !== undefined) set.activo = patch.activo;
      if (patch.password !== undefined) set.password_hash = await hashPassword(patch.password);
      const removesAdmin = patch.activo === false || (patch.role !== undefined && patch.role !== 'Administrador');
      const u = await inTransaction(db, async (trx) => {
        // Every change that could remove an administrator takes the same
        // lock, so two at once cannot each see the other admin still there.
        if (removesAdmin) {
          await sql`select pg_advisory_xact_lock(hashtextextended('users:administrators', 0))`.execute(trx);
          const others = await trx
            .selectFrom('users')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('role', '=', 'Administrador')
            .where('activo', '=', true)
            .where('id', '<>', id)
            .executeTakeFirstOrThrow();
          const target = await trx.selectFrom('users').select(['role', 'activo']).where('id', '=', id).executeTakeFirstOrThrow();
          if (target.role === 'Administrador' && target.activo && Number(others.n) === 0) {
            throw authError('LAST_ADMIN', 'The last active Administrador cannot be deactivated or demoted');
          }
        }
        return trx.updateTable('users').set(set).where('id', '=', id).returning(columns).executeTakeFirstOrThrow();
      });
      // A new password, a new role or a deactivation ends existing logins now.
      if (patch.password !== undefined || patch.activo === false || (patch.role !== undefined && patch.role !== before.role)) {
        await revokeSessions(db, id, 'user updated');
      }
      return u;
    },
  };
}

export type UsersService = ReturnType<typeof usersServiceFactory>;
