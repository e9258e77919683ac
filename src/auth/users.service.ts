import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/transaction.js';
import { inTransaction, isUniqueViolation } from '../db/transaction.js';
import { authError } from './auth.errors.js';
import { toUser, userColumns } from './auth.queries.js';
import { hashPassword } from './password.js';
import type { Role } from './roles.js';

export interface Persona {
  p_apellido?: string | null | undefined;
  s_apellido?: string | null | undefined;
  fecha_nacimiento?: string | null | undefined;
  genero?: 'M' | 'F' | 'O' | null | undefined;
}

export interface NewUser extends Persona {
  email: string;
  password: string;
  nombres: string;
  role: Role;
  activo?: boolean | undefined;
}

export interface UserPatch extends Persona {
  nombres?: string | undefined;
  role?: Role | undefined;
  password?: string | undefined;
  activo?: boolean | undefined;
  /** Alias of activo (the schema refuses the two disagreeing). */
  estado?: boolean | undefined;
}

const personaOf = (p: Persona) => ({
  ...(p.p_apellido !== undefined ? { p_apellido: p.p_apellido } : {}),
  ...(p.s_apellido !== undefined ? { s_apellido: p.s_apellido } : {}),
  ...(p.fecha_nacimiento !== undefined ? { fecha_nacimiento: p.fecha_nacimiento } : {}),
  ...(p.genero !== undefined ? { genero: p.genero } : {}),
});

export interface UsersServiceDeps {
  db: Db;
  /** Ends a user's logins (auth.service): a new password, role or a deactivation takes effect at once. */
  revokeSessions: (userId: string, reason: string) => Promise<void>;
}

export function usersServiceFactory({ db, revokeSessions }: UsersServiceDeps) {
  async function get(id: string) {
    const u = await db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
    if (!u) throw authError('USER_NOT_FOUND', 'User not found');
    return toUser(u);
  }

  return {
    get,
    list: async () => (await db.selectFrom('users').select(userColumns).orderBy('created_at').orderBy('id').execute()).map(toUser),

    async create(input: NewUser, trx: Db = db) {
      try {
        const row = await trx
          .insertInto('users')
          .values({
            id: randomUUID(),
            email: input.email.trim().toLowerCase(),
            password_hash: await hashPassword(input.password),
            nombres: input.nombres,
            role: input.role,
            activo: input.activo ?? true,
            ...personaOf(input),
          })
          .returning(userColumns)
          .executeTakeFirstOrThrow();
        return toUser(row);
      } catch (err) {
        if (isUniqueViolation(err, 'users_email_key')) throw authError('EMAIL_TAKEN', 'A user with this email already exists');
        throw err;
      }
    },

    async update(id: string, input: UserPatch) {
      const patch = { ...input, activo: input.activo ?? input.estado };
      const before = await get(id);
      const set: Record<string, unknown> = { updated_at: new Date(), ...personaOf(patch) };
      if (patch.nombres !== undefined) set.nombres = patch.nombres;
      if (patch.role !== undefined) set.role = patch.role;
      if (patch.activo !== undefined) set.activo = patch.activo;
      if (patch.password !== undefined) set.password_hash = await hashPassword(patch.password);
      const removesAdmin = patch.activo === false || (patch.role !== undefined && patch.role !== 'Administrador');
      const row = await inTransaction(db, async (trx) => {
        // Every change that could remove an administrator takes the same
        // lock, so two at once cannot each see the other admin still there.
        if (removesAdmin) {
          await sql`select pg_advisory_xact_lock(hashtextextended('users:administrators', 0))`.execute(trx);
          const { n } = await trx
            .selectFrom('users')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('role', '=', 'Administrador')
            .where('activo', '=', true)
            .where('id', '<>', id)
            .executeTakeFirstOrThrow();
          const target = await trx.selectFrom('users').select(['role', 'activo']).where('id', '=', id).executeTakeFirstOrThrow();
          if (target.role === 'Administrador' && target.activo && Number(n) === 0) {
            throw authError('LAST_ADMIN', 'The last active Administrador cannot be deactivated or demoted');
          }
        }
        return trx.updateTable('users').set(set).where('id', '=', id).returning(userColumns).executeTakeFirstOrThrow();
      });
      if (patch.password !== undefined || patch.activo === false || (patch.role !== undefined && patch.role !== before.role)) {
        await revokeSessions(id, 'user updated');
      }
      return toUser(row);
    },
  };
}

export type UsersService = ReturnType<typeof usersServiceFactory>;
