import { sql } from 'kysely';
import type { Actor } from '../auth/auth.service.js';
import { isAdmin, sessionRefusalError, type SessionRefusalCode } from '../cajas/cajas.queries.js';
import type { Db, Tx } from '../db/transaction.js';
import { DomainError } from '../http/errors.js';
import { claimIdempotencyKeys, recordIdempotentResponses, type Idempotency } from '../http/idempotency.js';
import type { Outcome } from '../ledger/group-commit.js';
import { postTransfersFrom } from '../ledger/ledger.js';
import { recargasError } from './recargas.errors.js';
import type { Recarga as Sale } from './recargas.service.js';
import type { OperadoraNombre } from './recargas.tables.js';

// Client top-ups, decided and written a batch at a time (see group-commit.ts)
// by one statement, so a batch holds the hot rows (the operator's float, the
// register's cash, the session) for one round trip and its commit only.
//
// The statement locks the sessions, then the accounts in id order (the order
// used everywhere), and decides each sale in arrival order exactly as it
// would be decided alone: 404 → 403 (ownership) → 409 (closed session, as
// sessionRefusal says), then 409 when the float cannot pay it after the
// sales accepted before it. It then writes the accepted ones set-wise: their
// ledger transfers and balances (postTransfersFrom), the recargas, their
// session movements and the session totals. A refused sale writes nothing.

export interface SaleJob {
  actor: Actor;
  operadora: OperadoraNombre;
  operator: { id: number; account_id: bigint };
  numero_cliente: string;
  monto: bigint;
  sessionId: number;
  idem?: Idempotency<Sale>;
}

type Refusal = SessionRefusalCode | 'OPERATOR_INSUFFICIENT_BALANCE';

interface DecidedRow {
  n: bigint;
  refusal: Refusal | null;
  id: number | null;
  fecha_hora: Date | null;
  currencies: bigint;
}

const text = (values: ReadonlyArray<{ toString(): string }>) => values.map((v) => v.toString());

/**
 * Decides and writes a batch of sales in one statement. Without
 * Idempotency-Keys that is the whole batch, run on its own (group-commit.ts
 * oneStatement); keyed batches run it inside processSales' transaction.
 */
export async function decideSales(db: Db, jobs: SaleJob[]): Promise<Outcome<Sale>[]> {
  const { rows } = await sql<DecidedRow>`/*prepare*/
    with recursive
    j as (
      select * from unnest(${jobs.map((j) => j.sessionId)}::integer[], ${text(jobs.map((j) => j.operator.account_id))}::bigint[],
                           ${text(jobs.map((j) => j.monto))}::bigint[], ${jobs.map((j) => j.actor.id)}::uuid[],
                           ${jobs.map((j) => isAdmin(j.actor))}::boolean[], ${jobs.map((j) => j.operator.id)}::integer[],
                           ${jobs.map((j) => j.numero_cliente)}::text[],
                           ${jobs.map((j) => `Recarga ${j.operadora} ${j.numero_cliente}`)}::text[])
        with ordinality as j(sess, float_account, monto, actor, admin, op, numero, motivo, n)
    ),
    sessions as (
      select cs.id, cs.id_caja, cs.id_usuario, cs.estado_sesion, k.account_id
        from caja_sesiones cs join cajas k on k.id = cs.id_caja
       where cs.id in (select sess from j)
       order by cs.id
         for no key update of cs
    ),
    accounts as (
      select id, posted - pending_debits as available, floor from ledger_accounts
       where id in (select float_account from j) or id in (select account_id from sessions)
       order by id
         for no key update
    ),
    js as (
      select j.*, s.id_caja, s.account_id as cash_account,
             case when s.id is null then 'SESSION_NOT_FOUND'
                  when not j.admin and s.id_usuario <> j.actor then 'SESSION_NOT_OWNED'
                  when s.estado_sesion <> 'ABIERTA' then 'SESSION_CLOSED' end as refusal,
             array_position((select array_agg(id order by id) from accounts), j.float_account) as k
        from j left join sessions s on s.id = j.sess
    ),
    -- Sale n is decided on what the floats can still pay after the sales
    -- before it: available[k] is what account k of accounts can pay.
    d(n, available, refusal) as (
      select 0::bigint, (select array_agg(available order by id) from accounts), null::text
      union all
      select js.n,
             case when ok then d.available[:js.k - 1] || (d.available[js.k] - js.monto) || d.available[js.k + 1:]
                  else d.available end,
             case when ok then null else coalesce(js.refusal, 'OPERATOR_INSUFFICIENT_BALANCE') end
        from d join js on js.n = d.n + 1
        cross join lateral (
          select js.refusal is null
             and (f.floor is null or d.available[js.k] - js.monto >= f.floor) as ok
            from accounts f where f.id = js.float_account
        ) x
    ),
    v as materialized (
      select js.*, nextval('recargas_cliente_id_seq')::integer as id
        from (select js.* from js join d on d.n = js.n and d.refusal is null order by js.n) js
    ),
    t as (
      select n, float_account as debit, cash_account as credit, monto as amount, 'RECARGA' as kind,
             'recarga_cliente' as ref_type, id::text as ref_id, actor as user_id
        from v
    ),
    ${postTransfersFrom('t')},
    r as (
      insert into recargas_cliente (id, id_operadora, numero_cliente, monto, id_caja_sesion, id_usuario, transfer_id)
      select v.id, v.op, v.numero, v.monto, v.sess, v.actor, p.id
        from v join ledger_posted p on p.ref_id = v.id::text
       order by v.n
      returning id, fecha_hora, transfer_id
    ),
    movements as (
      insert into caja_movimientos (id_caja, id_sesion_caja, tipo, monto, motivo, origen, id_origen, transfer_id, fecha)
      select v.id_caja, v.sess, 'INGRESO', v.monto, v.motivo, 'RECARGA', r.id, r.transfer_id, r.fecha_hora
        from r join v on v.id = r.id
       order by v.n
    ),
    totals as (
      update caja_sesiones s set total_ingresos = s.total_ingresos + x.sum
        from (select sess, sum(monto)::bigint as sum from v group by sess) x
       where s.id = x.sess
    )
    select d.n, d.refusal, r.id, r.fecha_hora, (select count(distinct currency) from ledger_balances) as currencies
      from d left join v on v.n = d.n left join r on r.id = v.id
     where d.n > 0
     order by d.n`.execute(db);

  if (rows.length !== jobs.length) throw new Error(`sale batch decided ${rows.length} of ${jobs.length} sales`);
  if (rows.some((r) => r.currencies > 1n)) throw new Error('a sale batch moved money between currencies');
  return rows.map((row, i): Outcome<Sale> => {
    const job = jobs[i]!;
    if (row.refusal === 'OPERATOR_INSUFFICIENT_BALANCE') {
      return { ok: false, error: recargasError(row.refusal, `${job.operadora} has not enough saldo_actual for this top-up`) };
    }
    if (row.refusal) return { ok: false, error: sessionRefusalError(row.refusal, job.sessionId) };
    return {
      ok: true,
      value: {
        id: row.id!,
        operadora: job.operadora,
        numero_cliente: job.numero_cliente,
        monto: job.monto,
        fecha_hora: row.fecha_hora!,
        id_caja_sesion: job.sessionId,
      },
    };
  });
}

/** Without keys a batch is decideSales alone; with them the keys are claimed and answered in the same transaction. */
export const salesAtOnce = { accepts: (jobs: SaleJob[]) => jobs.every((j) => !j.idem), run: decideSales };

export async function processSales(trx: Tx, jobs: SaleJob[]): Promise<Outcome<Sale>[]> {
  const outcomes: Array<Outcome<Sale> | undefined> = new Array(jobs.length);
  const claims = await claimIdempotencyKeys(trx, jobs.map((j) => j.idem));
  claims.forEach((error, i) => {
    if (error) outcomes[i] = { ok: false, error };
  });
  const live = jobs.flatMap((job, i) => (outcomes[i] ? [] : [{ job, i }]));
  if (live.length === 0) return outcomes as Outcome<Sale>[];

  const decided = await decideSales(trx, live.map(({ job }) => job));
  live.forEach(({ i }, k) => (outcomes[i] = decided[k]));

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
