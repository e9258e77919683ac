import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { z } from 'zod';
import { claimOpenSession } from '../src/cajas/cajas.queries.js';
import type { Actor } from '../src/core/actor.js';
import { DomainError, ReplayedResponse } from '../src/core/errors.js';
import { errorBody } from '../src/core/family.js';
import { inFlightError, runIdempotent, type Idempotency } from '../src/core/idempotency.js';
import type { Outcome } from '../src/ledger/group-commit.js';
import { InsufficientFundsError, postTransfer } from '../src/ledger/ledger.js';
import { insufficientFloat } from '../src/recargas/recargas.errors.js';
import { recargaSchema, type Recarga } from '../src/recargas/recargas.schemas.js';
import { salesDecider, type SaleJob } from '../src/recargas/sales.batch.js';
import { bearer, buildTestApp, type TestContext } from './helper.js';

// The batched top-up (sales.batch.ts) decides in SQL what the single-path
// rules decide one sale at a time: the key claim, the session refusal order
// (cajas.queries.ts), the float's floor (the ledger). Random sequences of
// sales batches, keyed retries (same body and another), injections and
// closes run in two worlds that start alike: one through the batch
// statement, one through a reference built from those single-path pieces,
// a sale at a time. Every answer and every balance must agree.

type Op = 'Tigo' | 'Entel';
type Who = 'op1' | 'op2' | 'admin';
type Where = 'own' | 'other' | 'admin' | 'missing';

interface Sale {
  who: Who;
  where: Where;
  operadora: Op;
  monto: number;
  key?: { name: string; tweak: boolean };
}
type Command = { kind: 'sales'; sales: Sale[] } | { kind: 'inject'; operadora: Op; monto: number } | { kind: 'close'; who: 'op1' | 'op2' };

const sale: fc.Arbitrary<Sale> = fc.record(
  {
    who: fc.constantFrom<Who>('op1', 'op2', 'admin'),
    where: fc.constantFrom<Where>('own', 'own', 'own', 'other', 'admin', 'missing'),
    operadora: fc.constantFrom<Op>('Tigo', 'Entel'),
    // Round amounts, so a float is often spent to exactly zero (the floor's edge).
    monto: fc.constantFrom(50, 100, 100, 200, 250, 300, 1),
    // Few key names, so keys repeat: replays, twins in one batch, another body.
    key: fc.record({ name: fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5', 'k6'), tweak: fc.boolean() }),
  },
  { requiredKeys: ['who', 'where', 'operadora', 'monto'] },
);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('sales' as const), sales: fc.array(sale, { minLength: 1, maxLength: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('inject' as const), operadora: fc.constantFrom<Op>('Tigo', 'Entel'), monto: fc.constantFrom(100, 200, 300, 500, 1000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), who: fc.constantFrom<'op1' | 'op2'>('op1', 'op2') }) },
);

interface World {
  ctx: TestContext;
  sell(jobs: SaleJob[]): Promise<Outcome<Recarga>[]>;
}

const render = (r: Recarga) => z.encode(recargaSchema, r);

/** The single path: the key claim of every money route, the session claim, the ledger's floor; one sale per transaction. */
function referenceWorld(ctx: TestContext): World {
  const db = ctx.database.db;
  return {
    ctx,
    async sell(jobs) {
      const outcomes: Outcome<Recarga>[] = [];
      // The sales of one batch arrived together: a key's twin among them is
      // in flight (API.md §0), not a retry of a finished request.
      const keysInBatch = new Set<string>();
      for (const job of jobs) {
        if (job.idem) {
          const scope = `${job.idem.userId} ${job.idem.key}`;
          if (keysInBatch.has(scope)) {
            outcomes.push({ ok: false, error: inFlightError() });
            continue;
          }
          keysInBatch.add(scope);
        }
        try {
          const value = await runIdempotent(db, job.idem, async (trx) => {
            const claimed = await claimOpenSession(trx, { sessionId: job.sessionId, actor: job.actor, ingreso: job.monto, sequence: 'recargas_cliente_id_seq' });
            let transferId: bigint;
            try {
              transferId = (
                await postTransfer(trx, { debit: job.operator.account_id, credit: claimed.cajaAccount, amount: job.monto, kind: 'RECARGA', refType: 'recarga_cliente', refId: claimed.nextId, userId: job.actor.id })
              ).id;
            } catch (err) {
              if (err instanceof InsufficientFundsError) throw insufficientFloat(job.operadora);
              throw err;
            }
            const { rows } = await sql<{ fecha_hora: Date }>`
              insert into recargas_cliente (id, id_operadora, numero_cliente, monto, id_caja_sesion, id_usuario, transfer_id, movimiento_id)
              values (${claimed.nextId}, ${job.operator.id}, ${job.numero_cliente}, ${job.monto}, ${job.sessionId}, ${job.actor.id}, ${transferId},
                      nextval('caja_movimientos_id_seq'))
              returning fecha_hora`.execute(trx);
            return {
              id: claimed.nextId,
              operadora: job.operadora,
              numero_cliente: job.numero_cliente,
              monto: job.monto,
              fecha_hora: rows[0]!.fecha_hora,
              id_caja_sesion: job.sessionId,
              estado: 'COMPLETADA' as const,
              anulada_en: null,
              anulada_por: null,
              motivo_anulacion: null,
            };
          });
          outcomes.push({ ok: true, value });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      return outcomes;
    },
  };
}

function batchWorld(ctx: TestContext): World {
  const decide = salesDecider();
  return { ctx, sell: (jobs) => decide(ctx.database.db, jobs) };
}

/** An answer as a client sees it, without what may differ between the worlds (ids drawn, times). */
function answer(o: Outcome<Recarga>): unknown {
  if (o.ok) {
    const { id: _id, fecha_hora: _at, ...rest } = render(o.value) as Record<string, unknown>;
    return { status: 201, body: rest };
  }
  if (o.error instanceof ReplayedResponse) {
    const body = JSON.parse(o.error.body) as Record<string, unknown>;
    delete body.id;
    delete body.fecha_hora;
    return { status: o.error.status, replayed: true, body };
  }
  if (o.error instanceof DomainError) return { status: o.error.status, body: errorBody('pos', o.error) };
  return { status: 500, error: String(o.error) };
}

test('batched top-ups answer and book exactly as the single path, one sale at a time', async () => {
  const worlds = [batchWorld(await buildTestApp()), referenceWorld(await buildTestApp())];
  const ops = await Promise.all(
    worlds.map(async (w) => {
      const rows = await w.ctx.database.db.selectFrom('operadoras').select(['id', 'nombre_operadora', 'account_id']).execute();
      return Object.fromEntries(rows.map((r) => [r.nombre_operadora, { id: r.id, account_id: r.account_id }]));
    }),
  );
  let run = 0;

  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 10 }), async (commands) => {
      run++;
      // Each run: two cashiers and the administrator, each with an open session, in both worlds alike.
      const setups = await Promise.all(
        worlds.map(async (w) => {
          const call = async (token: string, method: 'POST' | 'PATCH', url: string, payload: object) => {
            const r = await w.ctx.app.inject({ method, url, headers: bearer(token), payload });
            assert.ok(r.statusCode < 300, `${url} ${r.statusCode} ${r.body}`);
            return r.json();
          };
          const actors: Record<Who, Actor & { token: string }> = {} as never;
          const sessions: Record<Who, number> = {} as never;
          for (const who of ['op1', 'op2', 'admin'] as const) {
            let token = w.ctx.adminToken;
            if (who !== 'admin') token = (await w.ctx.user('Operador')).token;
            const me = (await w.ctx.app.inject({ url: '/auth/me', headers: bearer(token) })).json();
            actors[who] = { id: me.id, email: me.email, nombres: me.nombres, role: me.role, sessionId: 'property', token };
            if (who === 'admin') {
              const open = await w.ctx.app.inject({ url: '/cajas/sesion-activa', headers: bearer(token) });
              if (open.statusCode === 200) await call(token, 'PATCH', `/cajas/sesion/${open.json().id}/cerrar`, { monto_final_real: open.json().monto_final_teorico });
            }
            const caja = await call(w.ctx.adminToken, 'POST', '/cajas', { nombre: `Caja ${run} ${who}`, saldo: 100 });
            sessions[who] = (await call(token, 'POST', '/cajas/abrir', { id_caja: caja.id })).id;
          }
          return { call, actors, sessions };
        }),
      );
      assert.deepEqual(setups[0]!.sessions, setups[1]!.sessions, 'the worlds start alike');
      // Floats start each run empty (the administrator sells what is left),
      // so small injections and sales reach the floor's edge often.
      for (const [k, w] of worlds.entries()) {
        const { actors, sessions } = setups[k]!;
        for (const operadora of ['Tigo', 'Entel'] as const) {
          const op = ops[k]![operadora]!;
          const { posted } = await w.ctx.database.db.selectFrom('ledger_accounts').select('posted').where('id', '=', op.account_id).executeTakeFirstOrThrow();
          if (posted > 0n) {
            const [drained] = await w.sell([{ actor: actors.admin, operadora, operator: op, numero_cliente: '70012345', monto: posted, sessionId: sessions.admin }]);
            assert.ok(drained!.ok, 'the float is drained');
          }
        }
      }

      for (const cmd of commands) {
        const answers = await Promise.all(
          worlds.map(async (w, k) => {
            const { actors, sessions } = setups[k]!;
            if (cmd.kind === 'inject') {
              const r = await w.ctx.app.inject({
                method: 'POST',
                url: '/recargas/inyeccion',
                headers: bearer(actors.admin.token),
                payload: { operadora_destino: cmd.operadora, monto: cmd.monto / 100, id_caja_sesion: sessions.admin },
              });
              const { id: _id, fecha_hora: _at, ...rest } = r.json();
              return { status: r.statusCode, body: rest };
            }
            if (cmd.kind === 'close') {
              const r = await w.ctx.app.inject({
                method: 'PATCH',
                url: `/cajas/sesion/${sessions[cmd.who]}/cerrar`,
                headers: bearer(actors[cmd.who].token),
                payload: { monto_final_real: 0 },
              });
              const { fecha_cierre: _c, fecha_apertura: _a, id_usuario: _u, ...rest } = r.json();
              return { status: r.statusCode, body: rest };
            }
            const jobs = cmd.sales.map((s): SaleJob => {
              const actor = actors[s.who];
              const sessionId =
                s.where === 'missing' ? 2_000_000_000 : s.where === 'admin' ? sessions.admin : s.where === 'other' ? sessions[s.who === 'op1' ? 'op2' : 'op1'] : sessions[s.who];
              const input = { operadora: s.operadora, numero_cliente: '70012345', monto: s.monto, id_caja_sesion: sessionId };
              const idem: Idempotency<Recarga> | undefined = s.key && {
                userId: actor.id,
                method: 'POST',
                path: '/recargas/cliente',
                key: `${run}-${s.key.name}`,
                requestHash: createHash('sha256').update(JSON.stringify(input) + (s.key.tweak ? '+' : '')).digest('hex'),
                family: 'pos',
                status: 201,
                render,
              };
              return { actor, operadora: s.operadora, operator: ops[k]![s.operadora]!, numero_cliente: '70012345', monto: BigInt(s.monto), sessionId, idem };
            });
            return (await w.sell(jobs)).map(answer);
          }),
        );
        assert.deepEqual(answers[0], answers[1], `answers to ${JSON.stringify(cmd)}`);
      }

      // The books: floats, registers and session totals.
      const books = await Promise.all(
        worlds.map(async (w, k) => {
          const { sessions } = setups[k]!;
          const { rows } = await sql<{ what: string; amount: string }>`
            select 'float ' || o.nombre_operadora as what, a.posted::text as amount from operadoras o join ledger_accounts a on a.id = o.account_id
            union all
            select 'session ' || s.id || ' ' || s.estado_sesion, (s.total_ingresos - s.total_egresos)::text from caja_sesiones s
             where s.id = any(${Object.values(sessions)}::integer[])
            union all
            select 'caja ' || k.id, a.posted::text from cajas k join ledger_accounts a on a.id = k.account_id
              join caja_sesiones s on s.id_caja = k.id where s.id = any(${Object.values(sessions)}::integer[])
            order by 1`.execute(w.ctx.database.db);
          return rows;
        }),
      );
      assert.deepEqual(books[0], books[1]);
    }),
    { numRuns: process.env.CI ? 40 : 25 },
  );

  for (const w of worlds) {
    const verify = (await w.ctx.app.inject({ url: '/ledger/verify', headers: bearer(w.ctx.adminToken) })).json();
    assert.equal(verify.ok, true, JSON.stringify(verify.checks));
  }
});
