import { sql } from 'kysely';
import { isAdmin } from '../auth/roles.js';
import type { Actor } from '../core/actor.js';
import { runIdempotent, type Idempotency } from '../core/idempotency.js';
import type { TipoMovimiento } from '../db/tables/cajas.js';
import { isUniqueViolation, type Db } from '../db/transaction.js';
import { InsufficientFundsError } from '../ledger/ledger.js';
import { cajasError } from './cajas.errors.js';
import { paginate } from '../core/pagination.js';
import {
  claimOpenSession,
  findOpenSessionOf,
  findSession,
  insertMovementWithTransfer,
  lockSessionForClose,
  sessionColumns,
  sessionMovements,
  teorico,
  toSession,
} from './cajas.queries.js';
import type { CajaSessionItem, CajaSessionsQuery, Movement, Session } from './cajas.schemas.js';
import { lockCaja } from './cajas.service.js';
import { recordEvents } from '../core/events.js';
import { movementEvent, sessionEvent } from './cajas.events.js';

// Cash register sessions (API.md §2): opening with a count, manual
// movements, and closing, which books the difference. Every money step on a
// session takes the session row's lock first (cajas.queries.ts).

export interface SessionsServiceDeps {
  db: Db;
  worldAccount: () => Promise<bigint>;
}

export function sessionsServiceFactory({ db, worldAccount }: SessionsServiceDeps) {
  async function get(id: number) {
    const s = await findSession(db, id);
    if (!s) throw cajasError('SESSION_NOT_FOUND', `Session ${id} not found`);
    return s;
  }

  return {
    get,

    /** A caja's sessions ("arqueos"), newest first, with their cashier. */
    async ofCaja(cajaId: number, q: CajaSessionsQuery): Promise<{ rows: CajaSessionItem[]; total: number }> {
      const caja = await db.selectFrom('cajas').select('id').where('id', '=', cajaId).executeTakeFirst();
      if (!caja) throw cajasError('CAJA_NOT_FOUND', `Caja ${cajaId} not found`);
      let base = db.selectFrom('caja_sesiones as s').innerJoin('users as u', 'u.id', 's.id_usuario').where('s.id_caja', '=', cajaId);
      if (q.estado) base = base.where('s.estado_sesion', '=', q.estado);
      if (q.id_usuario) base = base.where('s.id_usuario', '=', q.id_usuario);
      if (q.from) base = base.where('s.fecha_apertura', '>=', q.from);
      if (q.to) base = base.where('s.fecha_apertura', q.to.op, q.to.at);
      const { rows, meta } = await paginate(base, q, (b) =>
        b
          .select(sessionColumns.map((c) => `s.${c}` as const))
          .select('u.nombres as usuario_nombres')
          .orderBy('s.fecha_apertura', 'desc')
          .orderBy('s.id', 'desc'),
      );
      return {
        rows: rows.map(({ usuario_nombres, ...s }) => ({ ...toSession(s), usuario: { id: s.id_usuario, nombres: usuario_nombres } })),
        total: meta.total,
      };
    },

    async movements(sessionId: number) {
      await get(sessionId);
      return sessionMovements(db, sessionId);
    },

    async active(actor: Actor, userId = actor.id) {
      if (userId !== actor.id && !isAdmin(actor)) {
        const exists = await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
        if (!exists) throw cajasError('USER_NOT_FOUND', `User ${userId} not found`);
        throw cajasError('SESSION_NOT_OWNED', 'You may only look up your own open session');
      }
      const s = await findOpenSessionOf(db, userId);
      if (!s) throw cajasError('NO_OPEN_SESSION', 'No open cash register session');
      return s;
    },

    async open(actor: Actor, input: { id_caja: number; monto_inicial?: bigint | undefined }, idem?: Idempotency<Session>) {
      const counted = input.monto_inicial;
      const worldId = await worldAccount();
      return runIdempotent(db, idem, async (trx) => {
        const caja = await lockCaja(trx, input.id_caja);
        if (!caja.estado) throw cajasError('CAJA_INACTIVE', `Caja ${input.id_caja} is inactive`);
        let inserted;
        try {
          inserted = await trx
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
        const { posted } = await trx.selectFrom('ledger_accounts').select('posted').where('id', '=', caja.account_id).executeTakeFirstOrThrow();
        const montoInicial = counted ?? posted;
        if (counted === undefined && posted !== 0n) {
          inserted = await trx
            .updateTable('caja_sesiones')
            .set({ monto_inicial: posted })
            .where('id', '=', inserted.id)
            .returningAll()
            .executeTakeFirstOrThrow();
        }
        // Informational: states the opening count, moves nothing.
        await trx
          .insertInto('caja_movimientos')
          .values({
            id_caja: caja.id,
            id_sesion_caja: inserted.id,
            tipo: 'INGRESO',
            monto: montoInicial,
            motivo: 'Apertura de caja',
            origen: 'APERTURA',
            id_origen: inserted.id,
          })
          .execute();
        const diff = montoInicial - posted;
        if (diff !== 0n) {
          // The counted cash differs from the books: the books follow the count.
          await insertMovementWithTransfer(trx, {
            idCaja: caja.id,
            cajaAccount: caja.account_id,
            otherAccount: worldId,
            idSesion: inserted.id,
            tipo: diff > 0n ? 'INGRESO' : 'EGRESO',
            monto: diff > 0n ? diff : -diff,
            motivo: 'Ajuste de apertura: conteo distinto del saldo',
            origen: 'AJUSTE',
            idOrigen: inserted.id,
            kind: 'CAJA_AJUSTE',
            userId: actor.id,
          });
        }
        const opened = toSession(inserted);
        await recordEvents(trx, [sessionEvent('session.opened', opened)]);
        return opened;
      });
    },

    async addMovement(
      actor: Actor,
      input: { tipo: TipoMovimiento; monto: bigint; motivo: string; id_sesion_caja: number },
      idem?: Idempotency<Movement>,
    ): Promise<Movement> {
      const { monto } = input;
      const worldId = await worldAccount();
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
          const m = await insertMovementWithTransfer(trx, {
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
          const movement = { ...m, id_sesion_caja: input.id_sesion_caja };
          await recordEvents(trx, [movementEvent(movement, claimed.owner)]);
          return movement;
        } catch (err) {
          if (err instanceof InsufficientFundsError) {
            throw cajasError('INSUFFICIENT_CASH', 'The cash register does not hold enough cash for this withdrawal');
          }
          throw err;
        }
      });
    },

    /**
     * Closes a session under the same lock money operations take: once this
     * commits nothing more lands on it, and its totals hold everything that did.
     */
    async close(
      actor: Actor,
      sessionId: number,
      input: { monto_final_real: bigint; observacion?: string | undefined; conteo?: Array<{ denominacion: bigint; cantidad: number }> | undefined },
      idem?: Idempotency<Session>,
    ) {
      const real = input.monto_final_real;
      const worldId = await worldAccount();
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
            observacion: input.observacion ?? null,
            conteo: input.conteo ? JSON.stringify(input.conteo.map((c) => ({ denominacion: String(c.denominacion), cantidad: c.cantidad }))) : null,
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
        const result = toSession(closed);
        await recordEvents(trx, [sessionEvent('session.closed', result)]);
        return result;
      });
    },
  };
}

export type SessionsService = ReturnType<typeof sessionsServiceFactory>;
