import { sql } from 'kysely';
import { isAdmin } from '../auth/roles.js';
import { sessionRefusalError, type SessionRefusalCode } from '../cajas/cajas.queries.js';
import type { Actor } from '../core/actor.js';
import { DomainError } from '../core/errors.js';
import { claimAnswer, claimKeysSql, storedResponse, type Claim, type Idempotency } from '../core/idempotency.js';
import type { OperadoraNombre } from '../db/tables/recargas.js';
import type { Db } from '../db/transaction.js';
import type { Outcome } from '../ledger/group-commit.js';
import { nextTransferId, postTransfersFrom } from '../ledger/ledger.js';
import { insufficientFloat } from './recargas.errors.js';
import { saleIdReservoir, type SaleIdReservoir } from './sale-ids.js';
import type { Recarga } from './recargas.schemas.js';

// Client top-ups, decided and written a batch at a time (group-commit.ts) by
// one statement, so a batch holds the hot rows (the operator's float, the
// register's cash, the session) for one round trip and its commit only. Run
// on its own (no BEGIN/COMMIT) when no sale carries an Idempotency-Key.
//
// The statement locks the sessions, then the accounts in id order (the order
// used everywhere), and decides each sale in arrival order exactly as it
// would be decided alone: 404 → 403 (ownership) → 409 (closed session), the
// rule of cajas.queries.ts `sessionRefusal`, then 409 when the float cannot
// pay it after the sales accepted before it (the ledger's floor). It writes
// the accepted ones set-wise: their transfers and balances
// (postTransfersFrom), the recargas (each is its own RECARGA session
// movement, migration 004) and the session totals. A refused sale writes
// nothing. test/sales.property.test.ts checks this decision against a
// one-sale-at-a-time reference built from the single-path rules.
//
// A keyed sale takes its id and time before the statement (sale-ids.ts), so
// its possible answers — the sale, or each refusal — are rendered in full
// beforehand (storedResponse). The batch statement then claims the keys as
// every money route does (claimKeysSql), decides the sales whose keys are
// free, and stores the answer each decision picks. A key stored by a twin
// that committed after the statement's snapshot is missed by the lookup,
// but not by the primary key: the statement is undone, and group-commit
// runs each sale again alone, which then finds it.

export interface SaleJob {
  actor: Actor;
  operadora: OperadoraNombre;
  operator: { id: number; account_id: bigint };
  numero_cliente: string;
  monto: bigint;
  sessionId: number;
  idem?: Idempotency<Recarga> | undefined;
}

type Refusal = SessionRefusalCode | 'OPERATOR_INSUFFICIENT_BALANCE' | 'CURRENCY_MISMATCH';
const CLIENT_REFUSALS = ['SESSION_NOT_FOUND', 'SESSION_NOT_OWNED', 'SESSION_CLOSED', 'OPERATOR_INSUFFICIENT_BALANCE'] as const;

/** A keyed sale's id and time, drawn before the statement, and every answer it may store. */
interface Keyed {
  id: number;
  at: Date;
  ok: { status_code: number; body: string };
  /** JSON: status_code and body by refusal code (parsed by the statement only for a refused sale). */
  refusals: string;
}

interface DecidedRow {
  claim: Claim;
  status_code: number | null;
  body: string | null;
  refusal: Refusal | null;
  id: number | null;
  fecha_hora: Date | null;
}

const text = (values: ReadonlyArray<{ toString(): string }>) => values.map((v) => v.toString());

/** The sales of the batch, locked rows and the decision of each, in arrival order. */
const decide = (jobs: SaleJob[], keyed: Array<Keyed | undefined>) => sql`
    j as (
      select * from unnest(${jobs.map((j) => j.sessionId)}::integer[], ${text(jobs.map((j) => j.operator.account_id))}::bigint[],
                           ${text(jobs.map((j) => j.monto))}::bigint[], ${jobs.map((j) => j.actor.id)}::uuid[],
                           ${jobs.map((j) => isAdmin(j.actor))}::boolean[], ${jobs.map((j) => j.operator.id)}::integer[],
                           ${jobs.map((j) => j.numero_cliente)}::text[], ${keyed.map((k) => k?.id ?? null)}::integer[],
                           ${keyed.map((k) => k?.at.toISOString() ?? null)}::timestamptz[], ${keyed.map((k) => k?.ok.status_code ?? null)}::integer[],
                           ${keyed.map((k) => k?.ok.body ?? null)}::text[], ${keyed.map((k) => k?.refusals ?? null)}::text[])
        with ordinality as j(sess, float_account, monto, actor, admin, op, numero, drawn_id, drawn_at, ok_status, ok_body, refusals, n)
    ),
    ${keyed.length > 0 ? claimKeysSql(jobs.map((j) => j.idem)) : sql`idem_claims(n, claim, status_code, body) as (select null::bigint, null::text, null::integer, null::text where false)`},
    live as (
      select j.*, row_number() over (order by j.n) as m
        from j left join idem_claims c on c.n = j.n
       where c.claim is null
    ),
    sessions as (
      select cs.id, cs.id_usuario, cs.estado_sesion, k.account_id
        from caja_sesiones cs join cajas k on k.id = cs.id_caja
       where cs.id = any(array(select sess from live))
       order by cs.id
         for no key update of cs
    ),
    -- One array of ids, so the primary key finds them (two IN lists joined by
    -- OR were a filter over every account: with 200,000 wallets, 20x slower).
    accounts as (
      select id, posted, posted - pending_debits as available, floor, currency from ledger_accounts
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
          select js.refusal is null and (f.floor is null or d.available[js.k] - js.monto >= f.floor) as ok
            from accounts f where f.id = js.float_account
        ) x
    ),
    decided as (
      select m, refusal from js where (select yes from all_fit)
      union all
      select m, refusal from d where m > 0
    )`;

/** The accepted sales written set-wise: each draws its ids and time once, so every row comes from v alone. */
const write = sql`
    v as materialized (
      select js.*, coalesce(js.drawn_id, nextval('recargas_cliente_id_seq')::integer) as id, ${nextTransferId} as transfer_id,
             nextval('caja_movimientos_id_seq')::integer as movimiento_id, coalesce(js.drawn_at, clock_timestamp()) as fecha_hora
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
    -- The events (core/events.ts), data as the REST routes return it
    -- (recargas.events.ts): each sale, and a float this batch took from at
    -- or above its minimum to below it.
    lows as (
      select o.id, o.nombre_operadora, f.posted - x.total as saldo_actual, o.saldo_minimo
        from (select float_account, sum(monto)::bigint as total from v group by float_account) x
        join accounts f on f.id = x.float_account
        join operadoras o on o.account_id = x.float_account
       where f.posted >= o.saldo_minimo and f.posted - x.total < o.saldo_minimo
    ),
    events as (
      insert into outbox_events (type, data, audience)
      select e.type, e.data, e.audience from (
        select 1 as part, v.m as n, 'recarga.completed' as type,
               jsonb_build_object('id', v.id, 'operadora', o.nombre_operadora, 'numero_cliente', v.numero,
                                  'monto', round(v.monto / 100.0, 2),
                                  'fecha_hora', to_char(v.fecha_hora at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                  'id_caja_sesion', v.sess, 'estado', 'COMPLETADA', 'anulada_en', null, 'anulada_por', null,
                                  'motivo_anulacion', null) as data,
               jsonb_build_object('users', jsonb_build_array(s.id_usuario)) as audience
          from v join sessions s on s.id = v.sess join operadoras o on o.id = v.op
        union all
        select 2, l.id, 'float.low',
               jsonb_build_object('id', l.id, 'nombre_operadora', l.nombre_operadora, 'saldo_actual', round(l.saldo_actual / 100.0, 2),
                                  'saldo_minimo', round(l.saldo_minimo / 100.0, 2), 'bajo_minimo', true),
               '{"operadores": true}'::jsonb
          from lows l
      ) e
       where pg_current_xact_id() is not null
       order by e.part, e.n
    )`;

/** Each keyed sale's answer, picked by its decision from those rendered beforehand (a 5xx is not stored). */
const store = sql`
    keys as (
      insert into idempotency_keys (user_id, method, path, key, request_hash, status_code, body)
      select s.user_id, s.method, s.path, s.key, s.request_hash, a.status_code, a.body
        from idem_scopes s
        join js on js.n = s.n
        join decided d on d.m = js.m
        cross join lateral (
          select js.ok_status as status_code, js.ok_body as body where d.refusal is null
          union all
          select (r ->> 'status_code')::integer, r ->> 'body'
            from (select js.refusals::jsonb -> d.refusal as r where d.refusal is not null) x
           where r is not null
        ) a
    )`;

async function decideAndWrite(q: Db, jobs: SaleJob[], keyed: Array<Keyed | undefined> = []): Promise<DecidedRow[]> {
  const { rows } = await sql<DecidedRow>`/*prepare*/
    with recursive ${decide(jobs, keyed)}, ${write}${keyed.length > 0 ? sql`, ${store}` : sql``}
    select c.claim, c.status_code, c.body, d.refusal, v.id, v.fecha_hora
      from j
      left join idem_claims c on c.n = j.n
      left join live l on l.n = j.n
      left join decided d on d.m = l.m
      left join v on v.m = l.m
     order by j.n`.execute(q);
  // Checked after the fact (the statement may have committed): a broken
  // invariant fails the batch as unknown, so keyed clients retry and find their answers.
  if (rows.length !== jobs.length) throw new Error(`sale batch decided ${rows.length} of ${jobs.length} sales`);
  return rows;
}

function refusalError(code: Exclude<Refusal, 'CURRENCY_MISMATCH'>, job: SaleJob): DomainError {
  return code === 'OPERATOR_INSUFFICIENT_BALANCE' ? insufficientFloat(job.operadora) : sessionRefusalError(code, job.sessionId);
}

function outcomeOf(row: DecidedRow, job: SaleJob, i: number): Outcome<Recarga> {
  const answered = claimAnswer(row);
  if (answered) return { ok: false, error: answered };
  if (row.refusal === 'CURRENCY_MISMATCH') return { ok: false, error: new Error(`sale ${i} would move money between currencies`) };
  if (row.refusal) return { ok: false, error: refusalError(row.refusal, job) };
  return {
    ok: true,
    value: {
      id: row.id!,
      operadora: job.operadora,
      numero_cliente: job.numero_cliente,
      monto: job.monto,
      fecha_hora: row.fecha_hora!,
      id_caja_sesion: job.sessionId,
      estado: 'COMPLETADA',
      anulada_en: null,
      anulada_por: null,
      motivo_anulacion: null,
    },
  };
}

/**
 * The answers a keyed sale may store, rendered with the id and time it gets
 * if accepted. Refusals depend only on the family, session and operator, so
 * a batch renders each once.
 */
function keyedAnswers(job: SaleJob, i: number, id: number, at: Date, refusals: Map<string, string>): Keyed {
  const idem = job.idem!;
  const sale = outcomeOf({ claim: null, status_code: null, body: null, refusal: null, id, fecha_hora: at }, job, i) as { ok: true; value: Recarga };
  const scope = `${idem.family} ${job.sessionId} ${job.operadora}`;
  let rendered = refusals.get(scope);
  if (rendered === undefined) {
    rendered = JSON.stringify(
      Object.fromEntries(CLIENT_REFUSALS.map((code) => [code, storedResponse(idem, { ok: false, error: refusalError(code, job) })])),
    );
    refusals.set(scope, rendered);
  }
  return { id, at, ok: storedResponse(idem, sale), refusals: rendered };
}

/**
 * The batch decider: decides and writes a batch of sales (see above), one
 * outcome per job, in order. Keyed sales take their ids from its reservoir.
 */
export function salesDecider(ids: SaleIdReservoir = saleIdReservoir()) {
  return async (q: Db, jobs: SaleJob[]): Promise<Outcome<Recarga>[]> => {
    let keyed: Array<Keyed | undefined> = [];
    const withKey = jobs.flatMap((job, i) => (job.idem ? [{ job, i }] : []));
    if (withKey.length > 0) {
      const drawn = await ids.take(q, withKey.length);
      const refusals = new Map<string, string>();
      keyed = jobs.map(() => undefined);
      withKey.forEach(({ job, i }, n) => (keyed[i] = keyedAnswers(job, i, drawn[n]!.id, drawn[n]!.at, refusals)));
    }
    const rows = await decideAndWrite(q, jobs, keyed);
    return rows.map((row, i) => outcomeOf(row, jobs[i]!, i));
  };
}
