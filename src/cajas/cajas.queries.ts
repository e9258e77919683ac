import { sql } from 'kysely';
import { isAdmin } from '../auth/roles.js';
import type { Actor } from '../core/actor.js';
import type { DomainError } from '../core/errors.js';
import type { EstadoSesion, OrigenMovimiento, TipoMovimiento } from '../db/tables/cajas.js';
import type { Db, Tx } from '../db/transaction.js';
import { postTransfer } from '../ledger/ledger.js';
import { cajasError } from './cajas.errors.js';
import type { Caja, Movement, Session } from './cajas.schemas.js';

// Queries of the cajas feature. Money operations on a session all start with
// claimOpenSession: one UPDATE that locks the session row, checks it is open
// and the caller's, and adds to its cached totals. The ledger then locks
// accounts; closing takes the same session lock first, so nothing can land
// on a session after its close commits.

/** Sequences whose next value a money operation may draw while it locks the session. */
export type IdSequence = 'caja_movimientos_id_seq' | 'recargas_cliente_id_seq' | 'inyecciones_operadora_id_seq';

export interface ClaimedSession {
  idCaja: number;
  cajaAccount: bigint;
  /** The id drawn from the requested sequence, for the row about to be written. */
  nextId: number;
  /** The session's cashier. */
  owner: string;
}

export type SessionRefusalCode = 'SESSION_NOT_FOUND' | 'SESSION_NOT_OWNED' | 'SESSION_CLOSED';

const refusalMessages: Record<SessionRefusalCode, (sessionId: number) => string> = {
  SESSION_NOT_FOUND: (id) => `Session ${id} not found`,
  SESSION_NOT_OWNED: () => 'You may only act on your own cash register session',
  SESSION_CLOSED: (id) => `Session ${id} is closed`,
};

export const sessionRefusalMessage = (code: SessionRefusalCode, sessionId: number) => refusalMessages[code](sessionId);

export const sessionRefusalError = (code: SessionRefusalCode, sessionId: number): DomainError =>
  cajasError(code, sessionRefusalMessage(code, sessionId));

/**
 * Whether a session (as read, or undefined when missing) may take money from
 * this actor: 404, then 403 (ownership), then 409 (closed); undefined = yes.
 * Every money path decides with this; the batched top-ups (sales.batch.ts)
 * state the same rule in SQL.
 */
export function sessionRefusal(
  sessionId: number,
  s: { id_usuario: string; estado_sesion: string } | undefined,
  actor: Actor,
): DomainError | undefined {
  if (!s) return sessionRefusalError('SESSION_NOT_FOUND', sessionId);
  if (!isAdmin(actor) && s.id_usuario !== actor.id) return sessionRefusalError('SESSION_NOT_OWNED', sessionId);
  if (s.estado_sesion !== 'ABIERTA') return sessionRefusalError('SESSION_CLOSED', sessionId);
  return undefined;
}

/** Why a session could not be used (claimOpenSession matched nothing). */
async function refuseSession(trx: Tx, sessionId: number, actor: Actor): Promise<never> {
  const s = await trx
    .selectFrom('caja_sesiones')
    .select(['id_usuario', 'estado_sesion'])
    .where('id', '=', sessionId)
    .executeTakeFirst();
  throw sessionRefusal(sessionId, s, actor) ?? new Error(`session ${sessionId} was usable yet not claimed`);
}

/**
 * Locks an open session the actor may use and adds to its totals, in one
 * statement. Throws 404/403/409 when it cannot be used.
 */
export async function claimOpenSession(
  trx: Tx,
  c: { sessionId: number; actor: Actor; ingreso?: bigint; egreso?: bigint; sequence: IdSequence },
): Promise<ClaimedSession> {
  const { rows } = await sql<{ id_caja: number; account_id: bigint; next_id: number; id_usuario: string }>`
    update caja_sesiones s
       set total_ingresos = s.total_ingresos + ${c.ingreso ?? 0n}::bigint,
           total_egresos = s.total_egresos + ${c.egreso ?? 0n}::bigint
      from cajas k
     where s.id = ${c.sessionId}::integer
       and s.estado_sesion = 'ABIERTA'
       and k.id = s.id_caja
       and (${isAdmin(c.actor)}::boolean or s.id_usuario = ${c.actor.id}::uuid)
    returning s.id_caja, k.account_id, s.id_usuario, nextval(${sql.lit(c.sequence)}::regclass)::integer as next_id`.execute(trx);
  const row = rows[0];
  if (!row) return refuseSession(trx, c.sessionId, c.actor);
  return { idCaja: row.id_caja, cajaAccount: row.account_id, nextId: row.next_id, owner: row.id_usuario };
}

export interface SessionRow {
  id: number;
  id_caja: number;
  id_usuario: string;
  estado_sesion: EstadoSesion;
  monto_inicial: bigint;
  total_ingresos: bigint;
  total_egresos: bigint;
  monto_final_teorico: bigint | null;
  monto_final_real: bigint | null;
  diferencia: bigint | null;
  fecha_apertura: Date;
  fecha_cierre: Date | null;
  observacion: string | null;
  /** Cents as text: jsonb keeps them exact. */
  conteo: Array<{ denominacion: string; cantidad: number }> | null;
}

export const sessionColumns = [
  'id',
  'id_caja',
  'id_usuario',
  'estado_sesion',
  'monto_inicial',
  'total_ingresos',
  'total_egresos',
  'monto_final_teorico',
  'monto_final_real',
  'diferencia',
  'fecha_apertura',
  'fecha_cierre',
  'observacion',
  'conteo',
] as const;

/** Locks a session for closing: same lock as claimOpenSession, same refusals. */
export async function lockSessionForClose(trx: Tx, sessionId: number, actor: Actor): Promise<SessionRow & { account_id: bigint }> {
  const s = await trx
    .selectFrom('caja_sesiones as s')
    .innerJoin('cajas as k', 'k.id', 's.id_caja')
    .select(sessionColumns.map((c) => `s.${c}` as const))
    .select('k.account_id')
    .where('s.id', '=', sessionId)
    .forNoKeyUpdate('s')
    .executeTakeFirst();
  const refusal = sessionRefusal(sessionId, s, actor);
  if (refusal) throw refusal;
  return s!;
}

/** The cash a session should hold: inicial + ingresos − egresos (live while open). */
export const teorico = (s: Pick<SessionRow, 'monto_inicial' | 'total_ingresos' | 'total_egresos'>) =>
  s.monto_inicial + s.total_ingresos - s.total_egresos;

/** A session as the API shows it: a closed one keeps the teórico it was closed with. */
export const toSession = (s: SessionRow): Session => ({
  ...s,
  monto_final_teorico: s.monto_final_teorico ?? teorico(s),
  conteo: s.conteo?.map((c) => ({ denominacion: BigInt(c.denominacion), cantidad: c.cantidad })) ?? null,
});

export const findSession = async (db: Db, sessionId: number) => {
  const s = await db.selectFrom('caja_sesiones').select(sessionColumns).where('id', '=', sessionId).executeTakeFirst();
  return s && toSession(s);
};

export const findOpenSessionOf = async (db: Db, userId: string) => {
  const s = await db
    .selectFrom('caja_sesiones')
    .select(sessionColumns)
    .where('id_usuario', '=', userId)
    .where('estado_sesion', '=', 'ABIERTA')
    .executeTakeFirst();
  return s && toSession(s);
};

/** Every movement of a session, oldest first (ids follow the order of events). */
export const sessionMovements = (db: Db, sessionId: number): Promise<Movement[]> =>
  db
    .selectFrom('caja_movimientos_todos')
    .select(['id', 'tipo', 'monto', 'motivo', 'fecha', 'id_sesion_caja', 'origen', 'id_origen'])
    .where('id_sesion_caja', '=', sessionId)
    .orderBy('id')
    .execute() as Promise<Movement[]>;

/** Cajas with their ledger balance and their open session, if any. */
export async function listCajas(db: Db, id?: number): Promise<Caja[]> {
  let q = db
    .selectFrom('cajas as k')
    .innerJoin('ledger_accounts as a', 'a.id', 'k.account_id')
    .leftJoin('caja_sesiones as s', (j) => j.onRef('s.id_caja', '=', 'k.id').on('s.estado_sesion', '=', 'ABIERTA'))
    .select(['k.id', 'k.nombre', 'k.especialidad', 'k.estado', 'a.posted as saldo'])
    .select([
      's.id as s_id',
      's.id_usuario as s_id_usuario',
      's.monto_inicial as s_monto_inicial',
      's.total_ingresos as s_total_ingresos',
      's.total_egresos as s_total_egresos',
      's.fecha_apertura as s_fecha_apertura',
    ])
    .orderBy('k.id');
  if (id !== undefined) q = q.where('k.id', '=', id);
  const rows = await q.execute();
  return rows.map((r) => {
    const sesion =
      r.s_id === null
        ? null
        : toSession({
            id: r.s_id,
            id_caja: r.id,
            id_usuario: r.s_id_usuario!,
            estado_sesion: 'ABIERTA',
            monto_inicial: r.s_monto_inicial!,
            total_ingresos: r.s_total_ingresos!,
            total_egresos: r.s_total_egresos!,
            monto_final_teorico: null,
            monto_final_real: null,
            diferencia: null,
            fecha_apertura: r.s_fecha_apertura!,
            fecha_cierre: null,
            observacion: null,
            conteo: null,
          });
    return {
      id: r.id,
      nombre: r.nombre,
      especialidad: r.especialidad,
      estado: r.estado,
      saldo: r.saldo,
      // Existing POS clients look for the open session in `sesiones` (API.md §2).
      sesion_activa: sesion,
      sesiones: sesion ? [sesion] : [],
    };
  });
}

/**
 * A movement backed by one ledger transfer: INGRESO moves `from` → caja,
 * EGRESO caja → `to`. Draws the movement id first so the transfer names it.
 * The ledger's floor refusal is left to the caller to translate.
 */
export async function insertMovementWithTransfer(
  trx: Tx,
  m: {
    idCaja: number;
    cajaAccount: bigint;
    otherAccount: bigint;
    idSesion: number | null;
    tipo: TipoMovimiento;
    monto: bigint;
    motivo: string;
    origen: OrigenMovimiento;
    idOrigen: number | null;
    kind: string;
    userId: string;
    movementId?: number;
  },
) {
  const id =
    m.movementId ??
    (await sql<{ id: number }>`select nextval('caja_movimientos_id_seq')::integer as id`.execute(trx)).rows[0]!.id;
  const ingreso = m.tipo === 'INGRESO';
  const transfer = await postTransfer(trx, {
    debit: ingreso ? m.otherAccount : m.cajaAccount,
    credit: ingreso ? m.cajaAccount : m.otherAccount,
    amount: m.monto,
    kind: m.kind,
    refType: 'caja_movimiento',
    refId: id,
    userId: m.userId,
  });
  return trx
    .insertInto('caja_movimientos')
    .values({
      id,
      id_caja: m.idCaja,
      id_sesion_caja: m.idSesion,
      tipo: m.tipo,
      monto: m.monto,
      motivo: m.motivo,
      origen: m.origen,
      id_origen: m.idOrigen,
      transfer_id: transfer.id,
    })
    .returning(['id', 'tipo', 'monto', 'motivo', 'fecha', 'id_sesion_caja', 'origen', 'id_origen'])
    .executeTakeFirstOrThrow();
}
