import { sql } from 'kysely';
import type { Actor } from '../core/actor.js';
import { runIdempotent, type Idempotency } from '../core/idempotency.js';
import type { Especialidad } from '../db/tables/cajas.js';
import { inTransaction, type Db, type Tx } from '../db/transaction.js';
import { createAccount } from '../ledger/ledger.js';
import { cajasError } from './cajas.errors.js';
import { insertMovementWithTransfer, listCajas } from './cajas.queries.js';
import type { CreatedCaja } from './cajas.schemas.js';
import { recordEvents } from '../core/events.js';
import { cajaEvent } from './cajas.events.js';

// Cash registers (API.md §2): each is a ledger account whose balance is the
// cash it should hold; only movements change it.

export interface CajasServiceDeps {
  db: Db;
  currency: string;
  worldAccount: () => Promise<bigint>;
}

export async function lockCaja(trx: Tx, id: number) {
  const caja = await trx.selectFrom('cajas').select(['id', 'estado', 'account_id']).where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
  if (!caja) throw cajasError('CAJA_NOT_FOUND', `Caja ${id} not found`);
  return caja;
}

export function cajasServiceFactory({ db, currency, worldAccount }: CajasServiceDeps) {
  async function get(id: number) {
    const [caja] = await listCajas(db, id);
    if (!caja) throw cajasError('CAJA_NOT_FOUND', `Caja ${id} not found`);
    return caja;
  }

  return {
    list: () => listCajas(db),
    get,

    /** A new caja; an opening saldo moves money (world → caja), so the request may carry an Idempotency-Key. */
    async create(
      actor: Actor,
      input: { nombre: string; especialidad?: Especialidad | undefined; saldo?: bigint | undefined },
      idem?: Idempotency<CreatedCaja>,
    ): Promise<CreatedCaja> {
      const saldo = input.saldo ?? 0n;
      const worldId = saldo > 0n ? await worldAccount() : 0n;
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
        await recordEvents(trx, [await cajaEvent(trx, 'caja.created', id)]);
        return { ...caja, saldo };
      });
    },

    async update(id: number, input: { nombre?: string | undefined; especialidad?: Especialidad | undefined }) {
      const changes = {
        ...(input.nombre !== undefined ? { nombre: input.nombre.trim() } : {}),
        ...(input.especialidad !== undefined ? { especialidad: input.especialidad } : {}),
      };
      await inTransaction(db, async (trx) => {
        const updated = await trx
          .updateTable('cajas')
          .set({ ...changes, updated_at: sql<Date>`now()` })
          .where('id', '=', id)
          .returning('id')
          .executeTakeFirst();
        if (!updated) throw cajasError('CAJA_NOT_FOUND', `Caja ${id} not found`);
        await recordEvents(trx, [await cajaEvent(trx, 'caja.updated', id)]);
      });
      return get(id);
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
        await recordEvents(trx, [await cajaEvent(trx, 'caja.deleted', id)]);
      });
      return get(id);
    },
  };
}

export type CajasService = ReturnType<typeof cajasServiceFactory>;
