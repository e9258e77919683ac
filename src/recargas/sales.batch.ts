import { sql } from 'kysely';
import type { Actor } from '../auth/auth.service.js';
import { cajasErrors } from '../cajas/cajas.errors.js';
import { isAdmin, sessionRefusalMessage, type SessionRefusalCode } from '../cajas/cajas.queries.js';
import type { Db } from '../db/transaction.js';
import { DomainError, ReplayedResponse } from '../core/errors.js';
import { errorBody } from '../core/family.js';
import { inFlightError, keyReusedError, lockKey, type Idempotency } from '../core/idempotency.js';
import type { Outcome } from '../ledger/group-commit.js';
import { nextTransferId, postTransfersFrom } from '../ledger/ledger.js';
import { recargasErrors } from './recargas.errors.js';
import type { Recarga as Sale } from './recargas.service.js';
import type { OperadoraNombre } from '../db/tables/recargas.js';

// Client top-ups, decided and written a batch at a time (see group-commit.ts)
// by one statement, run on its own (no BEGIN/COMMIT), so a batch holds the
// hot rows (the operator's float, the register's cash, the session) for one
// round trip and its commit only.
//
// The statement first claims the Idempotency-Keys as http/idempotency.ts
// does: a transaction-scoped advisory lock per key (taken elsewhere, or the
// same key twice in the batch: 409 in flight), then the stored response
// (replayed, or 422 for another body). It locks the sessions, then the
// accounts in id order (the order used everywhere), and decides each
// remaining sale in arrival order exactly as it would be decided alone:
// 404 → 403 (ownership) → 409 (closed session, as sessionRefusal says), then
// 409 when the float cannot pay it after the sales accepted before it. It
// writes the accepted ones set-wise: their ledger transfers and balances
// (postTransfersFrom), the recargas and the session totals; and the response
// of every keyed sale it decided, with the key. A refused sale writes nothing
// else. A recarga is its own session movement: it carries the movement's id
// (caja_movimientos_todos, migration 004), so no second row repeats it.
//
// A key stored by a twin that committed after this statement's snapshot was
// taken is missed by the lookup, but not by the primary key: the insert
// fails, the statement is undone, and group-commit runs each sale again
// alone, which then finds it.

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
const REFUSALS: Refusal[] = ['SESSION_NOT_FOUND', 'SESSION_NOT_OWNED', 'SESSION_CLOSED', 'OPERATOR_INSUFFICIENT_BALANCE'];

// What a refused sale answers. Kept as plain fields: a keyed sale carries the
// bodies of all four possible refusals, and building four Errors (each with
// its stack trace) per request for that was a measurable share of the CPU.
const refusal = (code: Refusal, job: SaleJob) =>
  code === 'OPERATOR_INSUFFICIENT_BALANCE'
    ? { status: recargasErrors[code], code, message: `${job.operadora} has not enough saldo_actual for this top-up` }
    : { status: cajasErrors[code], code, message: sessionRefusalMessage(code, job.sessionId) };

const refusalError = (code: Refusal, job: SaleJob) => {
  const r = refusal(code, job);
  return new DomainError(r.status, r.code, r.message);
};

// A keyed sale's response is stored by the statement itself: rendered here
// with these two stand-ins, which the statement replaces with the sale's id
// and time. Neither can occur elsewhere in a sale (no field is negative, and
// no sale is dated in year 1).
const ID_MARK = -987654321;
const TIME_MARK = new Date(Date.UTC(1, 0, 1));
const TIME_MARK_TEXT = TIME_MARK.toISOString();

interface DecidedRow {
  claim: 'IN_FLIGHT' | 'KEY_REUSED' | 'REPLAY' | null;
  status_code: number | null;
  body: string | null;
  refusal: Refusal | 'CURRENCY_MISMATCH' | null;
  id: number | null;
  fecha: string | null;
}

const text = (values: ReadonlyArray<{ toString(): string }>) => values.map((v) => v.toString());
const keyed = <T>(jobs: SaleJob[], pick: (idem: Idempotency<Sale>, job: SaleJob) => T) => jobs.map((j) => (j.idem ? pick(j.idem, j) : null));

/** Decides and writes a batch of sales, keys included, in one statement (see above). */
export async function decideSales(db: Db, jobs: SaleJob[]): Promise<Outcome<Sale>[]> {
  const okBody = (idem: Idempotency<Sale>, job: SaleJob) =>
    JSON.stringify(
      idem.render({ id: ID_MARK, operadora: job.operadora, numero_cliente: job.numero_cliente, monto: job.monto, fecha_hora: TIME_MARK, id_caja_sesion: job.sessionId }),
    );
  const refusalBodies = (idem: Idempotency<Sale>, job: SaleJob) =>
    JSON.stringify(
      Object.fromEntries(
        REFUSALS.map((code) => {
          const r = refusal(code, job);
          return [code, { status: r.status, body: JSON.stringify(errorBody(idem.family, r)) }];
        }),
      ),
    );
  const { rows } = await sql<DecidedRow>`/*prepare*/
    with recursive
    j as (
      select * from unnest(${jobs.map((j) => j.sessionId)}::integer[], ${text(jobs.map((j) => j.operator.account_id))}::bigint[],
                           ${text(jobs.map((j) => j.monto))}::bigint[], ${jobs.map((j) => j.actor.id)}::uuid[],
                           ${jobs.map((j) => isAdmin(j.actor))}::boolean[], ${jobs.map((j) => j.operator.id)}::integer[],
                           ${jobs.map((j) => j.numero_cliente)}::text[],
                           ${keyed(jobs, (i) => lockKey(i))}::text[], ${keyed(jobs, (i) => i.method)}::text[],
                           ${keyed(jobs, (i) => i.path)}::text[], ${keyed(jobs, (i) => i.key)}::text[],
                           ${keyed(jobs, (i) => i.requestHash)}::text[], ${keyed(jobs, (i) => i.status)}::integer[],
                           ${keyed(jobs, okBody)}::text[], ${keyed(jobs, refusalBodies)}::text[])
        with ordinality as j(sess, float_account, monto, actor, admin, op, numero,
                             lock_key, kmethod, kpath, kkey, khash, kstatus, ok_body, refusal_bodies, n)
    ),
    claims as materialized (
      select n, pg_try_advisory_xact_lock(hashtextextended(lock_key, 0)) as locked,
             row_number() over (partition by lock_key order by n) as nth
        from j
       where lock_key is not null
    ),
    answered as (
      select c.n,
             case when not c.locked or c.nth > 1 then 'IN_FLIGHT'
                  when k.request_hash is null then null
                  when k.request_hash <> j.khash then 'KEY_REUSED'
                  else 'REPLAY' end as claim,
             k.status_code, k.body
        from claims c
        join j on j.n = c.n
        -- A probe of the primary key per claimed key, whatever the statistics:
        -- the LIMIT keeps the planner from turning the lookup into a join,
        -- which the plan cached on a young table did as a hash join over a
        -- scan of the whole table, growing with every key stored.
        left join lateral (
          select k.request_hash, k.status_code, k.body from idempotency_keys k
           where k.user_id = j.actor and k.method = j.kmethod and k.path = j.kpath and k.key = j.kkey
           limit 1
        ) k on true
    ),
    live as (
      select j.*, row_number() over (order by j.n) as m
        from j left join answered a on a.n = j.n
       where a.claim is null
    ),
    sessions as (
      select cs.id, cs.id_usuario, cs.estado_sesion, k.account_id
        from caja_sesiones cs join cajas k on k.id = cs.id_caja
       where cs.id = any(array(select sess from live))
       order by cs.id
         for no key update of cs
    ),
    -- One array of ids, so the primary key finds them: written as two IN
    -- lists joined by OR it was a filter over every account, which with
    -- 200,000 wallet accounts took the top-ups from 3,100/s to 150/s.
    accounts as (
      select id, posted - pending_debits as available, floor, currency from ledger_accounts
       where id = any(array(select float_account from live union select account_id from sessions))
       order by id
         for no key update
    ),
    js as (
      select l.*, s.account_id as cash_account,
             case when s.id is null then 'SESSION_NOT_FOUND'
                  when not l.admin and s.id_usuario <> l.actor then 'SESSION_NOT_OWNED'
                  when s.estado_sesion <> 'ABIERTA' then 'SESSION_CLOSED'
                  -- Cannot happen (floats and registers are all in the POS currency),
                  -- but a transfer between currencies must never be written.
                  when (select f.currency <> c.currency from accounts f, accounts c
                         where f.id = l.float_account and c.id = s.account_id) then 'CURRENCY_MISMATCH' end as refusal,
             array_position((select array_agg(id order by id) from accounts), l.float_account) as k
        from live l left join sessions s on s.id = l.sess
    ),
    -- Usually every float can pay for all of its sales at once: then each
    -- sale's only refusal is its own (above), and the walk below is skipped.
    all_fit as (
      select coalesce(bool_and(f.floor is null or f.available - x.total >= f.floor), true) as yes
        from (select float_account, sum(monto) as total from js where refusal is null group by float_account) x
        join accounts f on f.id = x.float_account
    ),
    -- Otherwise sale m is decided on what the floats can still pay after the
    -- sales before it: available[k] is what account k of accounts can pay.
    d(m, available, refusal) as (
      select 0::bigint, (select array_agg(available order by id) from accounts), null::text
       where not (select yes from all_fit)
      union all
      select js.m,
             case when ok then d.available[:js.k - 1] || (d.available[js.k] - js.monto) || d.available[js.k + 1:]
                  else d.available end,
             case when ok then null else coalesce(js.refusal, 'OPERATOR_INSUFFICIENT_BALANCE') end
        from d join js on js.m = d.m + 1
        cross join lateral (
          select js.refusal is null
             and (f.floor is null or d.available[js.k] - js.monto >= f.floor) as ok
            from accounts f where f.id = js.float_account
        ) x
    ),
    decided as (
      select m, refusal from js where (select yes from all_fit)
      union all
      select m, refusal from d where m > 0
    ),
    -- Each accepted sale draws its ids and its time here, so every row below
    -- is written from v alone (no joins between the rows being inserted).
    v as materialized (
      select js.*, nextval('recargas_cliente_id_seq')::integer as id, ${nextTransferId} as transfer_id,
             nextval('caja_movimientos_id_seq')::integer as movimiento_id, clock_timestamp() as fecha_hora
        from (select js.* from js join decided d on d.m = js.m and d.refusal is null order by js.m) js
    ),
    t as (
      select transfer_id as id, float_account as debit, cash_account as credit, monto as amount, 'RECARGA' as kind,
             'recarga_cliente' as ref_type, id::text as ref_id, actor as user_id
        from v
    ),
    ${postTransfersFrom('t')},
    r as (
      insert into recargas_cliente (id, id_operadora, numero_cliente, monto, id_caja_sesion, id_usuario, transfer_id, movimiento_id, fecha_hora)
      select id, op, numero, monto, sess, actor, transfer_id, movimiento_id, fecha_hora from v
    ),
    totals as (
      update caja_sesiones s set total_ingresos = s.total_ingresos + x.sum
        from (select sess, sum(monto)::bigint as sum from v group by sess) x
       where s.id = x.sess
    ),
    -- The time as the response shows it (JavaScript's toISOString), for the stored body and the answer alike.
    shown as (
      select m, id, to_char(fecha_hora at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as fecha from v
    ),
    keys as (
      insert into idempotency_keys (user_id, method, path, key, request_hash, status_code, body)
      select js.actor, js.kmethod, js.kpath, js.kkey, js.khash,
             coalesce((refused.answer ->> 'status')::integer, js.kstatus),
             coalesce(refused.answer ->> 'body',
                      replace(replace(js.ok_body, ${String(ID_MARK)}::text, x.id::text), ${TIME_MARK_TEXT}::text, x.fecha))
        from js
        join decided d on d.m = js.m
        left join shown x on x.m = js.m
        -- The refusal's stored answer, parsed once and only for a refused sale.
        cross join lateral (
          select case when d.refusal is not null then js.refusal_bodies::jsonb -> d.refusal end as answer
        ) refused
       where js.lock_key is not null and d.refusal is distinct from 'CURRENCY_MISMATCH'
    )
    select a.claim, a.status_code, a.body, d.refusal, x.id, x.fecha
      from j
      left join answered a on a.n = j.n
      left join live l on l.n = j.n
      left join decided d on d.m = l.m
      left join shown x on x.m = l.m
     order by j.n`.execute(db);

  // Checked after the fact (the statement has committed): a broken invariant
  // fails the batch as unknown, so keyed clients retry and find their answers.
  if (rows.length !== jobs.length) throw new Error(`sale batch decided ${rows.length} of ${jobs.length} sales`);
  return rows.map((row, i): Outcome<Sale> => {
    const job = jobs[i]!;
    if (row.refusal === 'CURRENCY_MISMATCH') return { ok: false, error: new Error(`sale ${i} would move money between currencies`) };
    if (row.claim === 'IN_FLIGHT') return { ok: false, error: inFlightError() };
    if (row.claim === 'KEY_REUSED') return { ok: false, error: keyReusedError() };
    if (row.claim === 'REPLAY') return { ok: false, error: new ReplayedResponse(row.status_code!, row.body!) };
    if (row.refusal) return { ok: false, error: refusalError(row.refusal, job) };
    return {
      ok: true,
      value: {
        id: row.id!,
        operadora: job.operadora,
        numero_cliente: job.numero_cliente,
        monto: job.monto,
        // The same text the stored response got, so a replay is byte-identical.
        fecha_hora: new Date(row.fecha!),
        id_caja_sesion: job.sessionId,
      },
    };
  });
}
