import { sql } from 'kysely';
import type { Actor } from '../auth/auth.service.js';
import { sessionRefusal } from '../cajas/cajas.queries.js';
import type { Tx } from '../db/transaction.js';
import { DomainError } from '../http/errors.js';
import { claimIdempotencyKeys, recordIdempotentResponses, type Idempotency } from '../http/idempotency.js';
import type { Outcome } from '../ledger/group-commit.js';
import { postTransfers } from '../ledger/ledger.js';
import { recargasError } from './recargas.errors.js';
import type { Recarga as Sale } from './recargas.service.js';
import type { OperadoraNombre } from './recargas.tables.js';

// Client top-ups, decided and written a batch at a time (see group-commit.ts).
// Under the row locks of the batch's sessions and accounts, each sale is
// decided in memory in arrival order, exactly as it would be alone: 404 →
// 403 (ownership) → 409 (closed session, not enough operator float). The
// accepted ones are then written with set-based statements: one ledger
// round for all transfers, one insert for the recargas and their movements,
// one update of the session totals. A refused sale writes nothing.

export interface SaleJob {
  actor: Actor;
  operadora: OperadoraNombre;
  operator: { id: number; account_id: bigint };
  numero_cliente: string;
  monto: bigint;
  sessionId: number;
  idem?: Idempotency<Sale>;
}


interface LockedSession {
  id: number;
  id_caja: number;
  id_usuario: string;
  estado_sesion: string;
  account_id: bigint;
}

interface LockedRow {
  t: 's' | 'a' | 'n';
  id: bigint;
  id_caja: number | null;
  id_usuario: string | null;
  estado_sesion: string | null;
  account_id: bigint | null;
  posted: bigint | null;
  pending_debits: bigint | null;
  floor: bigint | null;
}

interface LockedAccount {
  id: bigint;
  posted: bigint;
  pending_debits: bigint;
  floor: bigint | null;
}

const text = (values: ReadonlyArray<{ toString(): string }>) => values.map((v) => v.toString());

export async function processSales(trx: Tx, jobs: SaleJob[]): Promise<Outcome<Sale>[]> {
  const outcomes: Array<Outcome<Sale> | undefined> = new Array(jobs.length);
  const claims = await claimIdempotencyKeys(trx, jobs.map((j) => j.idem));
  claims.forEach((error, i) => {
    if (error) outcomes[i] = { ok: false, error };
  });
  const live = jobs.flatMap((job, i) => (outcomes[i] ? [] : [{ job, i }]));

  if (live.length > 0) {
    // One statement takes the locks in the order used everywhere (session
    // rows, then ledger accounts by id) and draws an id for each sale that
    // may be accepted (a refused one leaves a gap, as a rollback would).
    const sessionIds = [...new Set(live.map(({ job }) => job.sessionId))].sort((a, b) => a - b);
    const floats = text([...new Set(live.map(({ job }) => job.operator.account_id))]);
    const { rows } = await sql<LockedRow>`/*prepare*/
      with s as (
        select s.id, s.id_caja, s.id_usuario, s.estado_sesion, k.account_id
          from caja_sesiones s join cajas k on k.id = s.id_caja
         where s.id = any(${sessionIds}::int[])
         order by s.id
           for no key update of s
      ),
      a as (
        select id, posted, pending_debits, floor from ledger_accounts
         where id = any(${floats}::bigint[]) or id in (select account_id from s)
         order by id
           for no key update
      )
      select 's' as t, id::bigint as id, id_caja, id_usuario::text as id_usuario, estado_sesion, account_id,
             null::bigint as posted, null::bigint as pending_debits, null::bigint as floor from s
      union all
      select 'a', id, null, null, null, null, posted, pending_debits, floor from a
      union all
      select 'n', nextval('recargas_cliente_id_seq'), null, null, null, null, null, null, null
        from generate_series(1, ${live.length}::integer)`.execute(trx);
    const sessions = new Map<number, LockedSession>();
    const accounts = new Map<bigint, LockedAccount>();
    const ids: number[] = [];
    for (const r of rows) {
      if (r.t === 's') {
        sessions.set(Number(r.id), { id: Number(r.id), id_caja: r.id_caja!, id_usuario: r.id_usuario!, estado_sesion: r.estado_sesion!, account_id: r.account_id! });
      } else if (r.t === 'a') {
        accounts.set(r.id, { id: r.id, posted: r.posted!, pending_debits: r.pending_debits!, floor: r.floor });
      } else {
        ids.push(Number(r.id));
      }
    }

    const accepted: Array<{ job: SaleJob; i: number; session: LockedSession }> = [];
    for (const { job, i } of live) {
      const refuse = (error: DomainError) => (outcomes[i] = { ok: false, error });
      const session = sessions.get(job.sessionId);
      const refusal = sessionRefusal(job.sessionId, session, job.actor);
      if (refusal || !session) {
        refuse(refusal!);
        continue;
      }
      const float = accounts.get(job.operator.account_id)!;
      if (float.floor !== null && float.posted - float.pending_debits - job.monto < float.floor) {
        refuse(recargasError('OPERATOR_INSUFFICIENT_BALANCE', `${job.operadora} has not enough saldo_actual for this top-up`));
        continue;
      }
      float.posted -= job.monto;
      accounts.get(session.account_id)!.posted += job.monto;
      accepted.push({ job, i, session });
    }

    if (accepted.length > 0) {
      // The ledger checks every floor again in its own update: should the
      // decision above ever be wrong, the batch fails whole, nothing is written.
      const transfers = await postTransfers(
        trx,
        accepted.map(({ job, session }, k) => ({
          debit: job.operator.account_id,
          credit: session.account_id,
          amount: job.monto,
          kind: 'RECARGA',
          refType: 'recarga_cliente',
          refId: ids[k]!,
          userId: job.actor.id,
        })),
      );
      const { rows } = await sql<{ id: number; fecha_hora: Date }>`/*prepare*/
        with v as (
          select * from unnest(
            ${ids.slice(0, accepted.length)}::integer[], ${accepted.map(({ job }) => job.operator.id)}::integer[],
            ${accepted.map(({ job }) => job.numero_cliente)}::text[], ${text(accepted.map(({ job }) => job.monto))}::bigint[],
            ${accepted.map(({ job }) => job.sessionId)}::integer[], ${accepted.map(({ job }) => job.actor.id)}::uuid[],
            ${text(transfers.ids)}::bigint[], ${accepted.map(({ session }) => session.id_caja)}::integer[],
            ${accepted.map(({ job }) => `Recarga ${job.operadora} ${job.numero_cliente}`)}::text[]
          ) as v(id, id_operadora, numero_cliente, monto, id_sesion, id_usuario, transfer_id, id_caja, motivo)
        ),
        r as (
          insert into recargas_cliente (id, id_operadora, numero_cliente, monto, id_caja_sesion, id_usuario, transfer_id)
          select id, id_operadora, numero_cliente, monto, id_sesion, id_usuario, transfer_id from v
          returning id, fecha_hora
        ),
        m as (
          insert into caja_movimientos (id_caja, id_sesion_caja, tipo, monto, motivo, origen, id_origen, transfer_id, fecha)
          select v.id_caja, v.id_sesion, 'INGRESO', v.monto, v.motivo, 'RECARGA', r.id, v.transfer_id, r.fecha_hora
            from r join v on v.id = r.id
        ),
        totals as (
          update caja_sesiones s set total_ingresos = s.total_ingresos + t.sum
            from (select id_sesion, sum(monto)::bigint as sum from v group by id_sesion) t
           where s.id = t.id_sesion
        )
        select id, fecha_hora from r`.execute(trx);
      const fecha = new Map(rows.map((r) => [r.id, r.fecha_hora]));
      accepted.forEach(({ job, i }, k) => {
        outcomes[i] = {
          ok: true,
          value: {
            id: ids[k]!,
            operadora: job.operadora,
            numero_cliente: job.numero_cliente,
            monto: job.monto,
            fecha_hora: fecha.get(ids[k]!)!,
            id_caja_sesion: job.sessionId,
          },
        };
      });
    }
  }

  // Keyed requests that ran keep their answer, refusals included.
  await recordIdempotentResponses(
    trx,
    live.flatMap(({ job, i }) => {
      const outcome = outcomes[i]!;
      if (!job.idem || (!outcome.ok && !(outcome.error instanceof DomainError))) return [];
      return [{ idem: job.idem, outcome: outcome as { ok: true; value: Sale } | { ok: false; error: DomainError } }];
    }),
  );
  return outcomes as Outcome<Sale>[];
}
