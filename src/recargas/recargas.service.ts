import { sql } from 'kysely';
import type { Actor } from '../auth/auth.service.js';
import type { CajasService } from '../cajas/cajas.service.js';
import { cents } from '../cajas/cajas.service.js';
import type { Db } from '../db/transaction.js';
import type { Idempotency } from '../core/idempotency.js';
import { runIdempotent } from '../core/idempotency.js';
import { InsufficientFundsError, postTransfer } from '../ledger/ledger.js';
import { toJsonNumber } from '../ledger/money.js';
import { recargasError } from './recargas.errors.js';
import { decideSales } from './sales.batch.js';
import { groupCommit } from '../ledger/group-commit.js';
import { offsetOf } from '../core/pagination.js';
import type { HistorialQuery } from './recargas.schemas.js';
import type { OperadoraNombre } from '../db/tables/recargas.js';

export interface RecargasServiceDeps {
  db: Db;
  cajas: CajasService;
}

export interface Recarga {
  id: number;
  operadora: OperadoraNombre;
  numero_cliente: string;
  monto: bigint;
  fecha_hora: Date;
  id_caja_sesion: number;
}

export interface Inyeccion {
  id: number;
  operadora_destino: OperadoraNombre;
  monto: bigint;
  fecha_hora: Date;
  id_caja_origen: number;
}

export const recargaJson = (r: Recarga) => ({
  id: r.id,
  operadora: r.operadora,
  numero_cliente: r.numero_cliente,
  monto: toJsonNumber(r.monto),
  fecha_hora: r.fecha_hora.toISOString(),
  id_caja_sesion: r.id_caja_sesion,
});

export const inyeccionJson = (i: Inyeccion) => ({
  id: i.id,
  operadora_destino: i.operadora_destino,
  monto: toJsonNumber(i.monto),
  fecha_hora: i.fecha_hora.toISOString(),
  id_caja_origen: i.id_caja_origen,
});

interface Operator {
  id: number;
  account_id: bigint;
}

export function recargasServiceFactory({ db, cajas }: RecargasServiceDeps) {
  // The three operators are created by the migration and never change: load
  // them once, so a top-up spends no statement on looking one up.
  let operators: Promise<Map<OperadoraNombre, Operator>> | undefined;
  const operator = async (name: OperadoraNombre) => {
    operators ??= db
      .selectFrom('operadoras')
      .select(['id', 'nombre_operadora', 'account_id'])
      .execute()
      .then((rows) => new Map(rows.map((r) => [r.nombre_operadora, { id: r.id, account_id: r.account_id }])));
    const op = (await operators).get(name);
    if (!op) {
      operators = undefined;
      throw recargasError('OPERATOR_NOT_FOUND', `Operator ${name} not found`);
    }
    return op;
  };

  const sales = groupCommit({ db, processBatch: decideSales, singleStatement: true });

  // With neither page nor limit, the whole history (as the seed returns it).
  const page = (q: HistorialQuery) => {
    if (q.page === undefined && q.limit === undefined) return null;
    const limit = q.limit ?? 100;
    return { limit, offset: offsetOf(q.page ?? 1, limit) };
  };

  return {
    /**
     * A top-up: the operator's float pays the client, the customer's cash
     * enters the register. Concurrent sales are group-committed: decided one
     * by one under the batch's locks, written together (sales.batch.ts).
     */
    async sell(
      actor: Actor,
      input: { operadora: OperadoraNombre; numero_cliente: string; monto: number; id_caja_sesion: number },
      idem?: Idempotency<Recarga>,
    ): Promise<Recarga> {
      return sales.submit({
        actor,
        operadora: input.operadora,
        operator: await operator(input.operadora),
        numero_cliente: input.numero_cliente,
        monto: cents(input.monto),
        sessionId: input.id_caja_sesion,
        idem,
      });
    },

    /** An injection: cash leaves the register to buy operator float. */
    async inject(
      actor: Actor,
      input: { operadora_destino: OperadoraNombre; monto: number; id_caja_sesion: number },
      idem?: Idempotency<Inyeccion>,
    ): Promise<Inyeccion> {
      const monto = cents(input.monto);
      const op = await operator(input.operadora_destino);
      return runIdempotent(db, idem, async (trx) => {
        const claimed = await cajas.claimOpenSession(trx, {
          sessionId: input.id_caja_sesion,
          actor,
          egreso: monto,
          sequence: 'inyecciones_operadora_id_seq',
        });
        let transferId: bigint;
        try {
          const t = await postTransfer(trx, {
            debit: claimed.cajaAccount,
            credit: op.account_id,
            amount: monto,
            kind: 'INYECCION',
            refType: 'inyeccion_operadora',
            refId: claimed.nextId,
            userId: actor.id,
          });
          transferId = t.id;
        } catch (err) {
          if (err instanceof InsufficientFundsError) {
            throw recargasError('INSUFFICIENT_CASH', 'The cash register does not hold enough cash for this injection');
          }
          throw err;
        }
        const motivo = `Inyección a ${input.operadora_destino}`;
        const { rows } = await sql<{ fecha: Date }>`
          with i as (
            insert into inyecciones_operadora (id, id_operadora, monto, id_caja_sesion, id_usuario, transfer_id)
            values (${claimed.nextId}, ${op.id}, ${monto}, ${input.id_caja_sesion}, ${actor.id}, ${transferId})
            returning id, fecha_hora
          )
          insert into caja_movimientos (id_caja, id_sesion_caja, tipo, monto, motivo, origen, id_origen, transfer_id, fecha)
          select ${claimed.idCaja}, ${input.id_caja_sesion}, 'EGRESO', ${monto}, ${motivo}, 'INYECCION', i.id, ${transferId}, i.fecha_hora
            from i
          returning fecha`.execute(trx);
        return {
          id: claimed.nextId,
          operadora_destino: input.operadora_destino,
          monto,
          fecha_hora: rows[0]!.fecha,
          id_caja_origen: input.id_caja_sesion,
        };
      });
    },

    async balances() {
      // Polled by every POS before a sale: kept prepared on the server.
      const { rows } = await sql<{ id: number; nombre_operadora: OperadoraNombre; posted: bigint }>`/*prepare*/
        select o.id, o.nombre_operadora, a.posted
          from operadoras o join ledger_accounts a on a.id = o.account_id
         order by o.id`.execute(db);
      return rows.map((r) => ({ id: r.id, nombre_operadora: r.nombre_operadora, saldo_actual: toJsonNumber(r.posted) }));
    },

    async sales(q: HistorialQuery): Promise<Recarga[]> {
      let query = db
        .selectFrom('recargas_cliente as r')
        .innerJoin('operadoras as o', 'o.id', 'r.id_operadora')
        .select(['r.id', 'o.nombre_operadora as operadora', 'r.numero_cliente', 'r.monto', 'r.fecha_hora', 'r.id_caja_sesion'])
        .orderBy('r.fecha_hora', 'desc')
        .orderBy('r.id', 'desc');
      if (q.operadora) query = query.where('o.nombre_operadora', '=', q.operadora);
      if (q.id_caja_sesion !== undefined) query = query.where('r.id_caja_sesion', '=', q.id_caja_sesion);
      if (q.numero_cliente) query = query.where('r.numero_cliente', '=', q.numero_cliente);
      if (q.from) query = query.where('r.fecha_hora', '>=', q.from);
      if (q.to) query = query.where('r.fecha_hora', q.to.op, q.to.at);
      const p = page(q);
      if (p) query = query.limit(p.limit).offset(p.offset);
      return query.execute();
    },

    async injections(q: HistorialQuery): Promise<Inyeccion[]> {
      // An injection has no client number, so a filter on one matches none
      // (ignoring it would answer a question that was not asked).
      if (q.numero_cliente !== undefined) return [];
      let query = db
        .selectFrom('inyecciones_operadora as i')
        .innerJoin('operadoras as o', 'o.id', 'i.id_operadora')
        .select(['i.id', 'o.nombre_operadora as operadora_destino', 'i.monto', 'i.fecha_hora', 'i.id_caja_sesion as id_caja_origen'])
        .orderBy('i.fecha_hora', 'desc')
        .orderBy('i.id', 'desc');
      if (q.operadora) query = query.where('o.nombre_operadora', '=', q.operadora);
      if (q.id_caja_sesion !== undefined) query = query.where('i.id_caja_sesion', '=', q.id_caja_sesion);
      if (q.from) query = query.where('i.fecha_hora', '>=', q.from);
      if (q.to) query = query.where('i.fecha_hora', q.to.op, q.to.at);
      const p = page(q);
      if (p) query = query.limit(p.limit).offset(p.offset);
      return query.execute();
    },
  };
}

export type RecargasService = ReturnType<typeof recargasServiceFactory>;
