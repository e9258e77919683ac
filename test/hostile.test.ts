import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { bearer, buildTestApp, moneyFixtures, testDatabase } from './helper.js';

// Hostile input and overload (API.md §6.1): no request can stall the event
// loop, crash a route into a 500 or get past the limits.

const MiB = 1024 * 1024;
const fill = (unit: string, budget: number) => unit.repeat(Math.floor(budget / unit.length));

/** Bodies of about 1 MiB, each the worst case of one kind. */
const worstBodies: Record<string, (field: string) => string> = {
  'inexact numbers': (f) => `{"${f}":[${fill('1e400,', MiB - 100)}1e400]}`,
  'inexact numbers under a long key': () => `{"${'k'.repeat(MiB / 2)}":[${fill('1e400,', MiB / 2 - 100)}1]}`,
  'a megabyte of zeros': (f) => `{"${f}":0.${'0'.repeat(MiB - 100)}1}`,
  'zeros between digits': (f) => `{"${f}":1${'0'.repeat(MiB / 2)}1${'0'.repeat(MiB / 2 - 100)}1}`,
  'deep nesting': (f) => `{"${f}":${'['.repeat(MiB / 2 - 100)}${']'.repeat(MiB / 2 - 100)}}`,
  'a long string': (f) => `{"${f}":"${'x'.repeat(MiB - 100)}"}`,
  'escapes': (f) => `{"${f}":"${fill('\\u0000\\"', MiB - 100)}"}`,
  'many keys': () => `{${Array.from({ length: 60_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`,
};

test('a 1 MiB body of any shape is answered at once, and /health keeps answering meanwhile', async () => {
  const { app, adminToken } = await buildTestApp();
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const targets: Array<{ url: string; field: string; headers: Record<string, string> }> = [
    { url: '/auth/refresh_token', field: 'x', headers: {} },
    { url: '/auth/login', field: 'password', headers: {} },
    { url: '/nope', field: 'x', headers: {} },
    { url: '/recargas/cliente', field: 'monto', headers: { ...bearer(adminToken), 'idempotency-key': 'k-big' } },
    { url: '/cajas/movimiento', field: 'motivo', headers: bearer(adminToken) },
    { url: '/drivers-balance/00000000-0000-4000-8000-000000000000/topups', field: 'metadata', headers: bearer(adminToken) },
  ];
  for (const [shape, body] of Object.entries(worstBodies)) {
    for (const target of targets) {
      const text = body(target.field);
      assert.ok(Buffer.byteLength(text) <= MiB, `${shape} fits in 1 MiB`);
      // /health is asked every few milliseconds while the big body is handled.
      let done = false;
      let slowestHealth = 0;
      let healthAnswers = 0;
      const poll = (async () => {
        while (!done) {
          const t0 = performance.now();
          const h = await fetch(`${base}/health`);
          await h.arrayBuffer();
          slowestHealth = Math.max(slowestHealth, performance.now() - t0);
          healthAnswers++;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const t0 = performance.now();
      const res = await fetch(`${base}${target.url}`, { method: 'POST', headers: { ...target.headers, 'content-type': 'application/json' }, body: text });
      const answer = await res.text();
      const took = performance.now() - t0;
      done = true;
      await poll;
      const what = `${shape} → POST ${target.url}`;
      assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${answer.slice(0, 200)}`);
      // Generous bounds on a shared machine: before the fix these took from
      // seconds to minutes, and /health waited as long.
      assert.ok(took < 3000, `${what} took ${Math.round(took)} ms`);
      assert.ok(slowestHealth < 1500, `${what}: /health waited ${Math.round(slowestHealth)} ms`);
      assert.ok(healthAnswers >= 1, what);
    }
  }
});

test('JSON nested deeper than 64 levels is a 400 on every money route, with and without a key, and claims no key', async () => {
  const ctx = await buildTestApp();
  const { app, adminToken, database } = ctx;
  const auth = bearer(adminToken);
  const { me, caja, session, driver, point, pending } = await moneyFixtures(ctx, 'honda');

  const routes: Array<{ method: 'POST' | 'PATCH'; url: string; body: Record<string, unknown> }> = [
    { method: 'POST', url: '/recargas/cliente', body: { operadora: 'Tigo', numero_cliente: '78945612', monto: 1, id_caja_sesion: session.id } },
    { method: 'POST', url: '/recargas/inyeccion', body: { operadora_destino: 'Tigo', monto: 1, id_caja_sesion: session.id } },
    { method: 'POST', url: '/cajas/movimiento', body: { tipo: 'INGRESO', monto: 1, motivo: 'x', id_sesion_caja: session.id } },
    { method: 'POST', url: '/cajas', body: { nombre: 'Caja nueva' } },
    { method: 'POST', url: `/drivers-balance/${driver.id}/topups`, body: { collectionPointId: point.id, collectedByUserId: me.id, amount: '1.00', metadata: { a: 1 } } },
    { method: 'POST', url: `/drivers-balance/topups/${pending.cashCollectionRecordId}/confirm`, body: { comment: 'x' } },
    { method: 'POST', url: `/drivers-balance/topups/${pending.cashCollectionRecordId}/cancel`, body: { reason: 'x' } },
    { method: 'POST', url: '/cajas/abrir', body: { id_caja: caja.id, monto_inicial: 1 } },
    { method: 'POST', url: `/drivers-balance/${driver.id}/debits`, body: { amount: '1.00', type: 'penalty' } },
    { method: 'PATCH', url: `/cajas/sesion/${session.id}/cerrar`, body: { monto_final_real: 1 } },
  ];
  const rowsBefore = await sql<{ n: string }>`select count(*)::text as n from ledger_transfers`.execute(database.db);
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  for (const route of routes) {
    for (const field of [...Object.keys(route.body), 'unknownField']) {
      for (const depth of [65, 10_000]) {
        const raw = JSON.stringify({ ...route.body, [field]: '__DEEP__' }).replace('"__DEEP__"', deep(depth));
        for (const key of [undefined, `deep-${route.url}-${field}-${depth}`]) {
          const res = await app.inject({
            method: route.method,
            url: route.url,
            headers: { ...auth, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
            payload: raw,
          });
          const what = `${route.method} ${route.url} ${field} depth ${depth} key ${key !== undefined}`;
          assert.equal(res.statusCode, 400, `${what}: ${res.body.slice(0, 200)}`);
          const body = res.json();
          const code = route.url.startsWith('/drivers') ? body.error.code : body.code;
          assert.equal(code, 'JSON_TOO_DEEP', what);
        }
      }
    }
  }
  // 64 levels are fine (an unknown field is ignored).
  const ok = await app.inject({
    method: 'POST',
    url: '/cajas/movimiento',
    headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'deep-64' },
    payload: JSON.stringify({ ...routes[2]!.body, extra: '__D__' }).replace('"__D__"', deep(63)),
  });
  assert.equal(ok.statusCode, 201, ok.body);
  const rowsAfter = await sql<{ n: string }>`select count(*)::text as n from ledger_transfers`.execute(database.db);
  assert.equal(Number(rowsAfter.rows[0]!.n), Number(rowsBefore.rows[0]!.n) + 1, 'only the 64-level request moved money');
  // A too-deep body claimed no key: the same key with a valid body runs.
  const retry = await app.inject({
    method: 'POST',
    url: '/cajas/movimiento',
    headers: { ...auth, 'idempotency-key': 'deep-/cajas/movimiento-monto-65' },
    payload: routes[2]!.body,
  });
  assert.equal(retry.statusCode, 201, retry.body);
});

test('a correctly signed token with malformed claims is a 401, not a 500', async () => {
  const { app } = await buildTestApp();
  const key = new TextEncoder().encode('test-secret-test-secret-test-secret-123');
  const sign = (claims: Record<string, unknown>, sub?: string) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m');
    return (sub === undefined ? jwt : jwt.setSubject(sub)).sign(key);
  };
  const uuid = '6f1c1c9e-8d1f-4a53-9a47-3c1d2b1e0f00';
  for (const [what, token] of [
    ['sub not a uuid', await sign({ sid: uuid }, 'admin')],
    ['sid not a uuid', await sign({ sid: "x' or 1=1" }, uuid)],
    ['sid a number', await sign({ sid: 5 }, uuid)],
    ['no sub', await sign({ sid: uuid })],
    ['unknown but well-formed', await sign({ sid: uuid }, uuid)],
  ] as const) {
    const res = await app.inject({ url: '/auth/me', headers: bearer(token) });
    assert.equal(res.statusCode, 401, `${what}: ${res.body}`);
    const wallet = await app.inject({ url: '/drivers', headers: bearer(token) });
    assert.equal(wallet.statusCode, 401, `${what} (wallet family): ${wallet.body}`);
    assert.equal(wallet.json().success, false);
  }
});

test('a path that tries to leave the console folder is a 404; the assets are served', async () => {
  const webDir = mkdtempSync(path.join(tmpdir(), 'console-'));
  mkdirSync(path.join(webDir, 'assets'));
  writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><meta name="api-prefix" content="" /><title>x</title>');
  writeFileSync(path.join(webDir, 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(path.join(webDir, 'secret.txt'), 'TOP-SECRET-CONTENT');
  const { app } = await buildTestApp({}, { webDir });
  assert.equal((await app.inject({ url: '/assets/app-1234.js' })).statusCode, 200);
  for (const url of [
    '/assets/../secret.txt',
    '/assets/../../package.json',
    '/assets/..%2fsecret.txt',
    '/assets/%2e%2e/secret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/assets/..\\secret.txt',
    '/assets/.',
    '/assets/',
    '/assets/%00',
  ]) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 404, `${url}: ${res.statusCode} ${res.body.slice(0, 100)}`);
    assert.ok(!res.body.includes('TOP-SECRET') && !res.body.includes('"dependencies"'), url);
  }
});

test('the last active Administrador cannot be deactivated or demoted (409 LAST_ADMIN)', async () => {
  const { app, adminToken } = await buildTestApp();
  const me = (await app.inject({ url: '/auth/me', headers: bearer(adminToken) })).json();
  const patch = (id: string, payload: object, token = adminToken) => app.inject({ method: 'PATCH', url: `/usuario/${id}`, headers: bearer(token), payload });
  for (const body of [{ activo: false }, { role: 'Operador' }, { role: 'Usuario', activo: false }]) {
    const res = await patch(me.id, body);
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().code, 'LAST_ADMIN');
  }
  assert.equal((await app.inject({ url: '/auth/me', headers: bearer(adminToken) })).json().role, 'Administrador');
  // Other changes to the last admin are fine.
  assert.equal((await patch(me.id, { nombres: 'Jefa', activo: true, role: 'Administrador' })).statusCode, 200);

  // With two administrators, two simultaneous removals: exactly one succeeds.
  const second = await app.inject({
    method: 'POST',
    url: '/usuario',
    headers: bearer(adminToken),
    payload: { email: 'second-admin@test.local', password: 'password-123', nombres: 'Second', role: 'Administrador' },
  });
  assert.equal(second.statusCode, 201, second.body);
  const [a, b] = await Promise.all([patch(me.id, { role: 'Operador' }), patch(second.json().id, { activo: false })]);
  assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 409], `${a.body} ${b.body}`);
  const admins = (await app.inject({ url: '/usuario', headers: bearer(a.statusCode === 200 ? (await loginAs(app, 'second-admin@test.local')) : adminToken) })).json();
  assert.equal(admins.filter((u: { role: string; activo: boolean }) => u.role === 'Administrador' && u.activo).length, 1);
});

async function loginAs(app: Awaited<ReturnType<typeof buildTestApp>>['app'], email: string) {
  const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'password-123' } });
  return res.json().access_token as string;
}

test('money writes beyond MAX_QUEUED_WRITES get 503 OVERLOADED with Retry-After and write nothing', async () => {
  const { app, adminToken, database } = await buildTestApp({ MAX_QUEUED_WRITES: '2' });
  const auth = bearer(adminToken);
  const caja = (await app.inject({ method: 'POST', url: '/cajas', headers: auth, payload: { nombre: 'Caja llena', saldo: 1000 } })).json();
  const session = (await app.inject({ method: 'POST', url: '/cajas/abrir', headers: auth, payload: { id_caja: caja.id } })).json();
  const movement = (i: number) =>
    app.inject({
      method: 'POST',
      url: '/cajas/movimiento',
      headers: { ...auth, 'idempotency-key': `flood-${i}` },
      payload: { tipo: 'INGRESO', monto: 1, motivo: 'flood', id_sesion_caja: session.id },
    });
  // The caja's account is held locked, so admitted writes wait: the queue fills.
  let release!: () => void;
  let taken!: () => void;
  const lockTaken = new Promise<void>((r) => (taken = r));
  await app.inject({ url: '/auth/me', headers: auth });
  const holder = database.db.transaction().execute(async (trx) => {
    await sql`select id from ledger_accounts where id = (select account_id from cajas where id = ${caja.id}) for update`.execute(trx);
    taken();
    await new Promise<void>((r) => (release = r));
  });
  await lockTaken;
  const n = 30;
  // The caller is known from a moment ago (the cached login session), so the
  // requests need the database only once admitted.
  const pending = Array.from({ length: n }, (_, i) => movement(i));
  const settled: number[] = [];
  pending.forEach((p, i) => void p.then(() => settled.push(i)));
  // Everything beyond the two admitted writes is refused while they wait.
  for (let waited = 0; settled.length < n - 2 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  assert.equal(app.writes.queued, 2);
  release();
  await holder;
  const answers = await Promise.all(pending);
  const overloaded = answers.filter((r) => r.statusCode === 503);
  assert.equal(overloaded.length, n - 2, answers.map((r) => r.statusCode).join());
  assert.equal(answers.filter((r) => r.statusCode === 201).length, 2);
  for (const r of overloaded) {
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.json().code, 'OVERLOADED', r.body);
  }
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from caja_movimientos where origen = 'MANUAL'`.execute(database.db);
  assert.equal(Number(rows[0]!.n), 2, 'the refused writes wrote nothing');
  assert.equal(app.writes.queued, 0, 'every admitted write was counted out');
  // A refused write claimed no key: its retry runs.
  const refused = answers.findIndex((r) => r.statusCode === 503);
  const retry = await movement(refused);
  assert.equal(retry.statusCode, 201, retry.body);
  assert.equal(retry.headers['idempotent-replayed'], undefined);
  // The wallet family answers in its own envelope.
  const wallet = await buildTestApp({ MAX_QUEUED_WRITES: '1' });
  let walletRelease!: () => void;
  let walletTaken!: () => void;
  const walletLock = new Promise<void>((r) => (walletTaken = r));
  await wallet.app.inject({ url: '/auth/me', headers: bearer(wallet.adminToken) });
  const walletHolder = wallet.database.db.transaction().execute(async (trx) => {
    await sql`lock table wallets in exclusive mode`.execute(trx);
    walletTaken();
    await new Promise<void>((r) => (walletRelease = r));
  });
  await walletLock;
  const drivers = [0, 1].map(() =>
    wallet.app.inject({ method: 'POST', url: '/drivers-balance/00000000-0000-4000-8000-000000000000/debits', headers: bearer(wallet.adminToken), payload: { amount: '1.00', type: 'penalty' } }),
  );
  const first = await Promise.race(drivers);
  walletRelease();
  await walletHolder;
  assert.equal(first.statusCode, 503, first.body);
  assert.deepEqual(first.json(), { success: false, message: 'The service is overloaded; retry shortly', error: { code: 'OVERLOADED' } });
  assert.deepEqual((await Promise.all(drivers)).map((r) => r.statusCode).sort(), [404, 503]);
});

test('503 while starting carries Retry-After', async () => {
  const database = await testDatabase();
  const config = loadConfig({ JWT_SECRET: 'test-secret-test-secret-test-secret-123' });
  const starting = await buildApp({ config, db: database.db, jwtSecret: config.JWT_SECRET!, available: () => false });
  after(async () => {
    await starting.close();
    await database.close();
  });
  const ready = await starting.inject({ url: '/ready' });
  assert.equal(ready.statusCode, 503);
  assert.equal(ready.headers['retry-after'], '1');
  const route = await starting.inject({ url: '/cajas' });
  assert.equal(route.statusCode, 503);
  assert.equal(route.headers['retry-after'], '1');
  assert.equal(route.json().code, 'SERVICE_STARTING');
});
