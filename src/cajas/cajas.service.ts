import { sql } from 'kysely';
import type { Actor } from '../auth/auth.service.js';
import { inTransaction, isUniqueViolation, type Db, type Tx } from '../db/transaction.js';
import { badRequest } from '../core/errors.js';
import { runIdempotent, type Idempotency } from '../core/idempotency.js';
import { InsufficientFundsError, createAccount, worldAccount } from '../ledger/ledger.js';
import { parseJsonNumber, toJsonNumber } from '../ledger/money.js';
import { cajasError } from './cajas.errors.js';
import {
  claimOpenSession,
  findOpenSessionOf,
  findSession,
  insertMovementWithTransfer,
  isAdmin,
  listCajas,
  lockSessionForClose,
  type CajaRow,
  type SessionRow,
} from './cajas.queries.js';
import type { Especialidad, OrigenMovimiento, TipoMovimiento } from '../db/tables/cajas.js';

export interface CajasServiceDeps {
  db: Db;
  currency: string;
}

/** A wire amount already validated by posAmount → cents. */
export function cents(value: number): bigint {
  const c = parseJsonNumber(value);
  if (c === null) throw badRequest('amount must have at most 2 decimals');
  return c;
}

const iso = (d: Date) => d.toISOString();

export const teorico = (s: Pick<SessionRow, 'monto_inicial' | 'total_ingresos' | 'total_egresos'>) =>
  s.monto_inicial + s.total_ingresos - s.total_egresos;

export function sessionJson(s: SessionRow) {
  return {
    id: s.id,
    id_caja: s.id_caja,
    id_usuario: s.id_usuario,
    estado_sesion: s.estado_sesion,
    monto_inicial: toJsonNumber(s.monto_inicial),
    total_ingresos: toJsonNumber(s.total_ingresos),
    total_egresos: toJsonNumber(s.total_egresos),
    monto_final_teorico: toJsonNumber(s.monto_final_teorico ?? teorico(s)),
    monto_final_real: s.monto_final_real === null ? null : toJsonNumber(s.monto_final_real),
    diferencia: s.diferencia === null ? null : toJsonNumber(s.diferencia),
    fecha_apertura: iso(s.fecha_apertura),
    fecha_cierre: s.fecha_cierre === null ? null : iso(s.fecha_cierre),
  };
}

export function cajaJson(c: CajaRow & { sesion: SessionRow | null }) {
  const sesion = c.sesion ? sessionJson(c.sesion) : null;
  return {
    id: c.id,
    nombre: c.nombre,
    especialidad: c.especialidad as Especialidad,
    saldo: toJsonNumber(c.saldo),
    estado: c.estado,
    sesion_activa: sesion,
    sesiones: sesion ? [sesion] : [],
  };
}

export interface CreatedCaja {
  id: number;
  nombre: string;
  especialidad: Especialidad;
  saldo: bigint;
}

export interface Movement {
  id: number;
  tipo: TipoMovimiento;
  monto: bigint;
  motivo: string;
  fecha: Date;
  id_sesion_caja: number | null;
  origen: OrigenMovimiento;
  id_origen: number | null;
}

export const movementJson = (m: Movement) => ({
  id: m.id,
  tipo: m.tipo,
  monto: toJsonNumber(m.monto),
  motivo: m.motivo,
  fecha: iso(m.fecha),
  id_sesion_caja: m.id_sesion_caja!,
});

export const movementDetailJson = (m: Movement) => ({
  id: m.id,
  tipo: m.tipo,
  monto: toJsonNumber(m.monto),
  motivo: m.motivo,
  fecha: iso(m.fecha),
  origen: m.origen,
  id_origen: m.id_origen,
  id_sesion_caja: m.id_sesion_caja!,
});

export function cajasServiceFactory({ db, currency }: CajasServiceDeps) {
  // The world account never changes once it exists; look it up once, outside
  // any transaction that might roll back.
  let world: Promise<bigint> | undefined;
  const worldAccountId = () => {
    world ??= inTransaction(db, (trx) => worldAccount(trx, currency)).catch((err: unknown) => {
      world = undefined;
      throw err;
    });
    return world;
  };

  async function getCaja(id: number) {
    const [caja] = await listCajas(db, id);
    if (!caja) throw cajasError('CAJA_NOT_FOUND', `Caja ${id} not found`);
    return caja;
  }

  async function lockCaja(trx: Tx, id: number) {
    const caja = await trx
      .selectFrom('cajas')
      .select(['id', 'estado', 'account_id'])
      .where('id', '=', id)
      .forNoKeyUpdate()
      .executeTakeFirst();
    if (!caja) throw cajasError('CAJA_NOT_FOUND', `Caja ${id} not found`);
    return caja;
  }

  async function sessionOrThrow(id: number) {
    const s = await findSession(db, id);
    if (!s) throw cajasError('SESSION_NOT_FOUND', `Session ${id} not found`);
    return s;
  }

  return {
    worldAccountId,
    /** Locks an open session for a money operation (see cajas.queries.ts). */
    claimOpenSession,

    /** A new caja; an opening saldo moves money (world → caja), so the request may carry an Idempotency-Key. */
    async create(actor: Actor, input: { nombre: string; especialidad?: Especialidad; saldo?: number }, idem?: Idempotency<CreatedCaja>): Promise<CreatedCaja> {
      const saldo = input.saldo === undefined ? 0n : cents(input.saldo);
      const worldId = saldo > 0n ? await worldAccountId() : 0n;
      return runIdempotent(db, idem, async (trx) => {
        const { rows } = await sql<{ id: number }>`select nextval('cajas_id_seq')::integer as id`.execute(trx);
        const id = rows[0]!.id;
        const accountId = await createAccount(trx, { code: `caja:${id}`, kind: 'CAJA', currency, floor: 0n });
        const caja = await trx
          .insertInto('cajas')
          .values({ id, nombre: input.nombre.trim(), especialidad: input.especialidad ?? 'MIXTA', account_id: accountId })
          .returning(['id', 'nombre', 'especialidad'])
          .executeTakeFirstOrThrow();
        if (saldo > 0n) {
          await insertMovementWithTransfer(trx, {
            idCaja: id,
            cajaAccount: accountId,
            otherAccount: worldId,
            idSesion: null,
            tipo: 'INGRESO',
            monto: saldo,
            motivo: 'Saldo inicial de la caja',
            origen: 'APERTURA',
            idOrigen: id,
            kind: 'CAJA_SALDO_INICIAL',
            userId: actor.id,
          });
        }
        return { ...caja, saldo };
      });
    },

    list: () => listCajas(db),
    get: getCaja,

    async update(id: number, input: { nombre?: string; especialidad?: Especialidad }) {
      const changes = {
        ...(input.nombre !== undefined ? { nombre: input.nombre.trim() } : {}),
        ...(input.especialidad !== undefined ? { especialidad: input.especialidad } : {}),
      };
      const updated = await db
        .updateTable('cajas')
        .set({ ...changes, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .returning('id')
        .executeTakeFirst();
      if (!updated) throw cajasError('CAJA_NOT_FOUND', `Caja ${id} not found`);
      return getCaja(id);
    },

    /** Deactivates a caja; the caja row lock serialises it with opening a session. */
    async deactivate(id: number) {
      await inTransaction(db, async (trx) => {
        await lockCaja(trx, id);
        const open = await trx
          .selectFrom('caja_sesiones')
          .select('id')
          .where('id_caja', '=', id)
          .where('estado_sesion', '=', 'ABIERTA')
          .executeTakeFirst();
        if (open) throw cajasError('CAJA_HAS_OPEN_SESSION', `Caja ${id} has an open session (${open.id}); close it first`);
        await trx.updateTable('cajas').set({ estado: false, updated_at: sql<Date>`now()` }).where('id', '=', id).execute();
      });
      return getCaja(id);
    },

    async open(actor: Actor, input: { id_caja: number; monto_inicial?: number }, idem?: Idempotency<SessionRow>) {
      const counted = input.monto_inicial === undefined ? undefined : cents(input.monto_inicial);
      const worldId = await worldAccountId();
      return runIdempotent(db, idem, async (trx) => {
        const caja = await lockCaja(trx, input.id_caja);
        if (!caja.estado) throw cajasError('CAJA_INACTIVE', `Caja ${input.id_caja} is inactive`);
        let session: SessionRow;
        try {
          session = await trx
            .insertInto('caja_sesiones')
            .values({ id_caja: caja.id, id_usuario: actor.id, monto_inicial: counted ?? 0n })
            .returningAll()
            .executeTakeFirstOrThrow();
        } catch (err) {
          if (isUniqueViolation(err, 'caja_sesiones_one_open_per_caja')) {
            throw cajasError('CAJA_HAS_OPEN_SESSION', `Caja ${caja.id} already has an open session`);
          }
          if (isUniqueViolation(err, 'caja_sesiones_one_open_per_user')) {
            throw cajasError('USER_HAS_OPEN_SESSION', 'You already have an open cash register session');
          }
          throw err;
        }
        // Read the books only now: the insert may have waited for the previous
        // session's close, whose difference booking this statement then sees.
        const { posted } = await trx
          .selectFrom('ledger_accounts')
          .select('posted')
          .where('id', '=', caja.account_id)
          .executeTakeFirstOrThrow();
        const montoInicial = counted ?? posted;
        if (counted === undefined && posted !== 0n) {
          session = await trx
            .updateTable('caja_sesiones')
            .set({ monto_inicial: posted })
            .where('id', '=', session.id)
            .returningAll()
            .executeTakeFirstOrThrow();
        }
        // Informational: states the opening count, moves nothing.
        await trx
          .insertInto('caja_movimientos')
          .values({
            id_caja: caja.id,
            id_sesion_caja: session.id,
            tipo: 'INGRESO',
            monto: montoInicial,
            motivo: 'Apertura de caja',
            origen: 'APERTURA',
            id_origen: session.id,
          })
          .execute();
        const diff = montoInicial - posted;
        if (diff !== 0n) {
          // The counted cash differs from the books: the books follow the count.
          await insertMovementWithTransfer(trx, {
            idCaja: caja.id,
            cajaAccount: caja.account_id,
            otherAccount: worldId,
            idSesion: session.id,
            tipo: diff > 0n ? 'INGRESO' : 'EGRESO',
            monto: diff > 0n ? diff : -diff,
            motivo: 'Ajuste de apertura: conteo distinto del saldo',
            origen: 'AJUSTE',
            idOrigen: session.id,
            kind: 'CAJA_AJUSTE',
            userId: actor.id,
          });
        }
        return session;
      });
    },

    async addMovement(
      actor: Actor,
      input: { tipo: TipoMovimiento; monto: number; motivo: string; id_sesion_caja: number },
      idem?: Idempotency<Movement>,
    ): Promise<Movement> {
      const monto = cents(input.monto);
      const worldId = await worldAccountId();
      return runIdempotent(db, idem, async (trx) => {
        const ingreso = input.tipo === 'INGRESO';
        const claimed = await claimOpenSession(trx, {
          sessionId: input.id_sesion_caja,
          actor,
          ingreso: ingreso ? monto : 0n,
          egreso: ingreso ? 0n : monto,
          sequence: 'caja_movimientos_id_seq',
        });
        try {
          return await insertMovementWithTransfer(trx, {
            idCaja: claimed.idCaja,
            cajaAccount: claimed.cajaAccount,
            otherAccount: worldId,
            idSesion: input.id_sesion_caja,
            tipo: input.tipo,
            monto,
            motivo: input.motivo,
            origen: 'MANUAL',
            idOrigen: null,
            kind: ingreso ? 'CAJA_INGRESO' : 'CAJA_EGRESO',
            userId: actor.id,
            movementId: claimed.nextId,
          });
        } catch (err) {
          if (err instanceof InsufficientFundsError) {
            throw cajasError('INSUFFICIENT_CASH', 'The cash register does not hold enough cash for this withdrawal');
          }
          throw err;
        }
      });
    },

    session: sessionOrThrow,

    async movements(sessionId: number): Promise<Movement[]> {
      await sessionOrThrow(sessionId);
      return db
        .selectFrom('caja_movimientos_todos')
        .select(['id', 'tipo', 'monto', 'motivo', 'fecha', 'id_sesion_caja', 'origen', 'id_origen'])
        .where('id_sesion_caja', '=', sessionId)
        .orderBy('id')
        .execute();
    },

    async activeSession(actor: Actor, userId = actor.id) {
      if (userId !== actor.id && !isAdmin(actor)) {
        const exists = await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
        if (!exists) throw cajasError('USER_NOT_FOUND', `User ${userId} not found`);
        throw cajasError('SESSION_NOT_OWNED', 'You may only look up your own open session');
      }
      const s = await findOpenSessionOf(db, userId);
      if (!s) throw cajasError('NO_OPEN_SESSION', 'No open cash register session');
      return s;
    },

    /**
     * Closes a session under the same lock money operations take: once this
     * commits nothing more lands on it, and its totals hold everything that did.
     */
    async close(actor: Actor, sessionId: number, input: { monto_final_real: number }, idem?: Idempotency<SessionRow>) {
      const real = cents(input.monto_final_real);
      const worldId = await worldAccountId();
      return runIdempotent(db, idem, async (trx) => {
        const s = await lockSessionForClose(trx, sessionId, actor);
        const expected = teorico(s);
        const diferencia = real - expected;
        const closed = await trx
          .updateTable('caja_sesiones')
          .set({
            estado_sesion: 'CERRADA',
            monto_final_teorico: expected,
            monto_final_real: real,
            diferencia,
            fecha_cierre: sql<Date>`clock_timestamp()`,
          })
          .where('id', '=', sessionId)
          .returningAll()
          .executeTakeFirstOrThrow();
        if (diferencia !== 0n) {
          await insertMovementWithTransfer(trx, {
            idCaja: s.id_caja,
            cajaAccount: s.account_id,
            otherAccount: worldId,
            idSesion: sessionId,
            tipo: diferencia > 0n ? 'INGRESO' : 'EGRESO',
            monto: diferencia > 0n ? diferencia : -diferencia,
            motivo: diferencia > 0n ? 'Sobrante de cierre' : 'Faltante de cierre',
            origen: 'AJUSTE',
            idOrigen: sessionId,
            kind: 'CAJA_CIERRE',
            userId: actor.id,
          });
        }
        return closed;
      });
    },
  };
}

export type CajasService = ReturnType<typeof cajasServiceFactory>;
