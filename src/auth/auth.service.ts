import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import { inTransaction, type Db } from '../db/transaction.js';
import { authError } from './auth.errors.js';
import type { Actor } from '../core/actor.js';
import type { Role } from '../db/tables/auth.js';
import type { ActorCache } from './actor-cache.js';
import { publicUser } from './auth.queries.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.js';
import { hashRefreshToken, newRefreshToken, type TokenSigner } from './tokens.js';

// Login throttling (API.md §1): 10 failures per email, 100 per client
// address, within a sliding 15-minute window. Successes never count.
const WINDOW_MS = 15 * 60 * 1000;
const MAX_FAILURES_PER_EMAIL = 10;
const MAX_FAILURES_PER_IP = 100;

export interface AuthServiceDeps {
  db: Db;
  signer: TokenSigner;
  refreshTtlSeconds: number;
  actors: ActorCache;
}

export function authServiceFactory({ db, signer, refreshTtlSeconds, actors }: AuthServiceDeps) {
  /** Ends every login of the user: refresh tokens and the access tokens issued from them. */
  async function revokeSessions(userId: string, reason: string) {
    actors.forgetUser(userId);
    await db
      .updateTable('auth_sessions')
      .set({ revoked_at: new Date(), revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
    // Again after the write: a request that read the session meanwhile must not keep it.
    actors.forgetUser(userId);
  }

  async function issueTokens(userId: string, role: Role, sessionId: string, trx: Db) {
    const refresh = newRefreshToken();
    await trx.insertInto('refresh_tokens').values({ token_hash: refresh.hash, session_id: sessionId }).execute();
    return { access_token: await signer.sign(userId, sessionId, role), refresh_token: refresh.token };
  }

  async function assertNotThrottled(trx: Db, email: string, ip: string) {
    const since = new Date(Date.now() - WINDOW_MS);
    const row = await trx
      .selectFrom('login_failures')
      .select([
        sql<string>`count(*) filter (where email = ${email})`.as('by_email'),
        sql<string>`count(*) filter (where ip = ${ip})`.as('by_ip'),
      ])
      .where('at', '>', since)
      .where((eb) => eb.or([eb('email', '=', email), eb('ip', '=', ip)]))
      .executeTakeFirstOrThrow();
    const byEmail = Number(row.by_email) >= MAX_FAILURES_PER_EMAIL;
    if (byEmail || Number(row.by_ip) >= MAX_FAILURES_PER_IP) {
      // Attempts are allowed again once the failure that filled the window leaves it.
      const limit = byEmail ? MAX_FAILURES_PER_EMAIL : MAX_FAILURES_PER_IP;
      const filler = await trx
        .selectFrom('login_failures')
        .select('at')
        .where('at', '>', since)
        .where(byEmail ? 'email' : 'ip', '=', byEmail ? email : ip)
        .orderBy('at', 'desc')
        .offset(limit - 1)
        .limit(1)
        .executeTakeFirst();
      const until = (filler?.at.getTime() ?? Date.now()) + WINDOW_MS;
      const retryAfter = Math.max(1, Math.ceil((until - Date.now()) / 1000));
      throw authError('LOGIN_THROTTLED', 'Too many failed login attempts; try again later', undefined, retryAfter);
    }
  }

  return {
    async login(emailInput: string, password: string, ip: string) {
      const email = emailInput.trim().toLowerCase();
      // One attempt per email at a time (an advisory lock, so across
      // instances too): parallel guesses cannot all pass the failure count
      // before any of them is recorded.
      const outcome = await inTransaction(db, async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtextextended(${`login:${email}`}, 0))`.execute(trx);
        await assertNotThrottled(trx, email, ip);
        const user = await trx
          .selectFrom('users')
          .select(['id', 'email', 'nombres', 'role', 'activo', 'password_hash'])
          .where(sql`lower(email)`, '=', email)
          .executeTakeFirst();
        let valid = false;
        if (user) valid = (await verifyPassword(user.password_hash, password)) && user.activo;
        else await burnPasswordCheck(password);
        if (!user || !valid) {
          await trx.insertInto('login_failures').values({ email, ip }).execute();
          return null;
        }
        const sessionId = randomUUID();
        await trx
          .insertInto('auth_sessions')
          .values({ id: sessionId, user_id: user.id, expires_at: new Date(Date.now() + refreshTtlSeconds * 1000) })
          .execute();
        return { ...(await issueTokens(user.id, user.role, sessionId, trx)), user: publicUser(user) };
      });
      if (!outcome) throw authError('INVALID_CREDENTIALS', 'Invalid email or password');
      return outcome;
    },

    /** Rotates a refresh token. A token used twice revokes its whole session. */
    async refresh(token: string) {
      let reusedSession: string | undefined;
      const outcome = await inTransaction(db, async (trx) => {
        const row = await trx
          .selectFrom('refresh_tokens as rt')
          .innerJoin('auth_sessions as s', 's.id', 'rt.session_id')
          .innerJoin('users as u', 'u.id', 's.user_id')
          .select(['rt.used_at', 's.id as session_id', 's.revoked_at', 's.expires_at', 'u.id as user_id', 'u.role', 'u.activo'])
          .where('rt.token_hash', '=', hashRefreshToken(token))
          .forUpdate('rt')
          .executeTakeFirst();
        if (!row) return null;
        if (row.used_at) {
          await trx
            .updateTable('auth_sessions')
            .set({ revoked_at: new Date(), revoked_reason: 'refresh token reused' })
            .where('id', '=', row.session_id)
            .where('revoked_at', 'is', null)
            .execute();
          actors.forgetSession(row.session_id);
          reusedSession = row.session_id;
          return null;
        }
        if (row.revoked_at || row.expires_at.getTime() <= Date.now() || !row.activo) return null;
        await trx.updateTable('refresh_tokens').set({ used_at: new Date() }).where('token_hash', '=', hashRefreshToken(token)).execute();
        return issueTokens(row.user_id, row.role, row.session_id, trx);
      });
      if (reusedSession) {
        // Once more after the commit: a request that read the session while
        // the revocation was in flight must not keep it in the cache.
        actors.forgetSession(reusedSession);
      }
      if (!outcome) throw authError('INVALID_REFRESH_TOKEN', 'Invalid or expired refresh token');
      return outcome;
    },

    revokeSessions,

    async logout(actor: Actor) {
      await revokeSessions(actor.id, 'logout');
    },

    /** The caller behind an access token, or null. Deactivation and logout take effect at once. */
    async authenticate(token: string): Promise<Actor | null> {
      const claims = await signer.verify(token);
      if (!claims) return null;
      const cached = actors.get(claims.sessionId, claims.userId);
      if (cached) return cached;
      const epoch = actors.epoch();
      const row = await db
        .selectFrom('users as u')
        .innerJoin('auth_sessions as s', 's.user_id', 'u.id')
        .select(['u.id', 'u.email', 'u.nombres', 'u.role', 'u.activo', 's.revoked_at'])
        .where('u.id', '=', claims.userId)
        .where('s.id', '=', claims.sessionId)
        .executeTakeFirst();
      if (!row || !row.activo || row.revoked_at) return null;
      const actor: Actor = { id: row.id, email: row.email, nombres: row.nombres, role: row.role, sessionId: claims.sessionId };
      actors.set(actor, epoch);
      return actor;
    },

    /**
     * Of these logins, the ones still valid with the same role, read from the
     * database (not the cache), so a long-lived connection (a socket) learns
     * of a logout, deactivation or role change made by any process.
     */
    async stillValid(logins: Array<{ sessionId: string; userId: string; role: Role }>): Promise<Set<string>> {
      if (logins.length === 0) return new Set();
      const rows = await db
        .selectFrom('auth_sessions as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .select(['s.id', 'u.id as user_id', 'u.role'])
        .where('s.id', 'in', [...new Set(logins.map((l) => l.sessionId))])
        .where('s.revoked_at', 'is', null)
        .where('u.activo', '=', true)
        .execute();
      const valid = new Set<string>();
      for (const l of logins) if (rows.some((r) => r.id === l.sessionId && r.user_id === l.userId && r.role === l.role)) valid.add(l.sessionId);
      return valid;
    },

    /**
     * First start: with no user at all, create the Administrador from the
     * environment, or admin@localhost with a random password told once.
     */
    async bootstrapAdmin(env: { email?: string; password?: string }, log: FastifyBaseLogger) {
      await inTransaction(db, async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtextextended('bootstrap-admin', 0))`.execute(trx);
        const any = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst();
        if (any) return;
        const email = env.email ?? 'admin@localhost';
        const password = env.password ?? randomBytes(12).toString('base64url');
        await trx
          .insertInto('users')
          .values({
            id: randomUUID(),
            email: email.toLowerCase(),
            password_hash: await hashPassword(password),
            nombres: 'Administrador',
            role: 'Administrador',
          })
          .execute();
        if (env.password) log.info({ email }, 'created the first Administrador from ADMIN_EMAIL');
        else {
          const line = `created the first Administrador ${email} with password ${password} (shown once; change it)`;
          // Shown once: a LOG_LEVEL that hides warnings must not lose it.
          if (['error', 'fatal', 'silent'].includes(log.level)) process.stderr.write(`${line}\n`);
          else log.warn(line);
        }
      });
    },
  };
}

export type AuthService = ReturnType<typeof authServiceFactory>;

/** Housekeeping: login failures older than a day, sessions expired a week ago. */
export async function purgeAuthRecords(db: Db): Promise<number> {
  const failures = await db.deleteFrom('login_failures').where('at', '<', new Date(Date.now() - 86_400_000)).executeTakeFirst();
  const old = new Date(Date.now() - 7 * 86_400_000);
  const expired = db.selectFrom('auth_sessions').select('id').where('expires_at', '<', old);
  const tokens = await db.deleteFrom('refresh_tokens').where('session_id', 'in', expired).executeTakeFirst();
  const sessions = await db.deleteFrom('auth_sessions').where('expires_at', '<', old).executeTakeFirst();
  return Number(failures.numDeletedRows + tokens.numDeletedRows + sessions.numDeletedRows);
}
