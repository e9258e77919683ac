import { sql } from 'kysely';
import { claimOpenSession } from '../cajas/cajas.queries.js';
import type { Actor } from '../core/actor.js';
import { sharedRead } from '../core/shared-read.js';
import { runIdempotent, type Idempotency } from '../core/idempotency.js';
import type { OperadoraNombre } from '../db/tables/recargas.js';
import type { Db } from '../db/transaction.js';
import { groupCommit } from '../ledger/group-commit.js';
import { InsufficientFundsError, postTransfer } from '../ledger/ledger.js';
import { recargasError } from './recargas.errors.js';
import { annulSale } from './voids.js';
import { findSale, injectionChunks, injectionPage, saleChunks, salePage } from './recargas.queries.js';
import type { HistorialQuery, Inyeccion, OperadoraSaldo, Recarga } from './recargas.schemas.js';
import type { Page } from '../core/pagination.js';
import { salesDecider } from './sales.batch.js';
import { recordEvents } from '../core/events.js';
import { injectionEvent } from './recargas.events.js';

// Top-ups sold from operator floats, and injections that buy float with a
// session's cash (API.md §3).

export interface RecargasServiceDeps {
  db: Db;
  /** Each sales batch as it starts (metrics). */
  onBatch?: (size: number, waitedMs: number[]) => void;
}

export function recargasServiceFactory({ db, onBatch }: RecargasServiceDeps) {
  // The three operators are created by the migration and never change: load
  // them once, so a top-up spends no statement on looking one up.
  let operators: Promise<Map<OperadoraNombre, { id: number; account_id: bigint }>> | undefined;
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

  const sales = groupCommit({ db, processBatch: salesDecider(), singleStatement: true, onBatch });

  // Polled by every POS: reads arriving together share one query (core/shared-read.ts).
  const sharedBalances = sharedRead(readBalances);
  const balances = () => sharedBalances(null);
  async function readBalances(): Promise<OperadoraSaldo[]> {
    // Polled by every POS before a sale: kept prepared on the server.
    const { rows } = await sql<{ id: number; nombre_operadora: OperadoraNombre; saldo_actual: bigint; saldo_minimo: bigint }>`/*prepare*/
      select o.id, o.nombre_operadora, a.posted as saldo_actual, o.saldo_minimo
        from operadoras o join ledger_accounts a on a.id = o.account_id
       order by o.id`.execute(db);
    return rows.map((r) => ({ ...r, bajo_minimo: r.saldo_actual < r.saldo_minimo }));
  }

  return {
    /** Fails the sales still waiting for a batch (a shutdown's time is up): they wrote nothing. */
    abortQueued: (error: unknown) => sales.abortQueued(error),
    /**
     * A top-up: the operator's float pays the client, the customer's cash
     * enters the register. Concurrent sales are group-committed (sales.batch.ts).
     */
    async sell(
      actor: Actor,
      input: { operadora: OperadoraNombre; numero_cliente: string; monto: bigint; id_caja_sesion: number },
      idem?: Idempotency<Recarga>,
    ): Promise<Recarga> {
      return sales.submit({
        actor,
        operadora: input.operadora,
        operator: await operator(input.operadora),
        numero_cliente: input.numero_cliente,
        monto: input.monto,
        sessionId: input.id_caja_sesion,
        idem,
      });
    },

    /** An injection: cash leaves the register to buy operator float. */
    async inject(
      actor: Actor,
      input: { operadora_destino: OperadoraNombre; monto: bigint; id_caja_sesion: number },
      idem?: Idempotency<Inyeccion>,
    ): Promise<Inyeccion> {
      const { monto } = input;
      const op = await operator(input.operadora_destino);
      return runIdempotent(db, idem, async (trx) => {
        const claimed = await claimOpenSession(trx, {
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
        const injection: Inyeccion = {
          id: claimed.nextId,
          operadora_destino: input.operadora_destino,
          monto,
          fecha_hora: rows[0]!.fecha,
          id_caja_origen: input.id_caja_sesion,
        };
        await recordEvents(trx, [injectionEvent(injection, claimed.owner)]);
        return injection;
      });
    },

    balances,

    /** The float under which an operator is shown as low (bajo_minimo). */
    async setMinimum(id: number, saldoMinimo: bigint): Promise<OperadoraSaldo> {
      const updated = await db.updateTable('operadoras').set({ saldo_minimo: saldoMinimo }).where('id', '=', id).returning('id').executeTakeFirst();
      if (!updated) throw recargasError('OPERATOR_NOT_FOUND', `Operator ${id} not found`);
      return (await balances()).find((o) => o.id === id)!;
    },

    /** Voids a mistaken sale while its session is open (voids.ts). */
    annul: (actor: Actor, id: number, motivo: string, idem?: Idempotency<Recarga>) => runIdempotent(db, idem, (trx) => annulSale(trx, actor, id, motivo)),

    async sale(id: number): Promise<Recarga> {
      const sale = await findSale(db, id);
      if (!sale) throw recargasError('RECARGA_NOT_FOUND', `Top-up ${id} not found`);
      return sale;
    },

    salesPage: (q: HistorialQuery, page: Page) => salePage(db, q, page),
    salesChunks: (q: HistorialQuery) => saleChunks(db, q),
    injectionsPage: (q: HistorialQuery, page: Page) => injectionPage(db, q, page),
    injectionsChunks: (q: HistorialQuery) => injectionChunks(db, q),
  };
}

export type RecargasService = ReturnType<typeof recargasServiceFactory>;
