import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { purgeAuthRecords } from '../src/auth/auth.service.js';
import { ADMIN, bearer, buildTestApp } from './helper.js';

const SECRET = 'test-secret-test-secret-test-secret-123';
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

test('auth and users', async (t) => {
  const ctx = await buildTestApp();
  const { app, adminToken } = ctx;
  const me = (token?: string, headers: Record<string, string> = {}) =>
    app.inject({ url: '/auth/me', headers: token ? { ...bearer(token), ...headers } : headers });
  const login = (email: string, password: string, ip = '127.0.0.1') =>
    app.inject({ method: 'POST', url: '/auth/login', payload: { email, password }, remoteAddress: ip });

  await t.test('login returns tokens and the user, never a hash', async () => {
    const res = await login(ADMIN.email, ADMIN.password);
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'refresh_token', 'user']);
    assert.deepEqual(Object.keys(body.user).sort(), ['email', 'id', 'name', 'nombres', 'role']);
    assert.equal(body.user.role, 'Administrador');
    assert.equal(body.user.name, body.user.nombres);
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, body.user.id);
    assert.ok(claims.exp - claims.iat <= 900);
    assert.doesNotMatch(res.body, /argon2|password/i);
  });

  await t.test('401 for missing, malformed, forged, alg:none, expired tokens', async () => {
    const admin = (await login(ADMIN.email, ADMIN.password)).json();
    const [h, p] = admin.access_token.split('.');
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'not-a-token',
      'bad signature': `${h}.${p}.AAAA`,
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
      'other secret': await new SignJWT({ sid: 'x' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(admin.user.id)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode('another-secret-another-secret-another')),
      expired: await new SignJWT({ sid: JSON.parse(Buffer.from(p, 'base64url').toString()).sid })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(admin.user.id)
        .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(new TextEncoder().encode(SECRET)),
      'refresh token as access token': admin.refresh_token,
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await me(token);
      assert.equal(res.statusCode, 401, name);
      assert.deepEqual(res.json(), { statusCode: 401, message: 'Unauthorized', error: 'Unauthorized', code: 'UNAUTHORIZED' }, name);
    }
    assert.equal((await me(undefined, { authorization: `Basic ${admin.access_token}` })).statusCode, 401);
    assert.equal((await me(admin.access_token)).statusCode, 200);
  });

  await t.test('403 for the wrong role, before validation', async () => {
    const usuario = await ctx.tokenFor('Usuario');
    const res = await app.inject({ method: 'POST', url: '/usuario', headers: bearer(usuario), payload: { nonsense: true } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'Forbidden');
    assert.equal((await app.inject({ url: '/usuario', headers: bearer(usuario) })).statusCode, 403);
    assert.equal((await app.inject({ url: '/ledger/verify', headers: bearer(usuario) })).statusCode, 403);
  });

  await t.test('users CRUD, validation and uniqueness', async () => {
    const create = (payload: unknown) => app.inject({ method: 'POST', url: '/usuario', headers: bearer(adminToken), payload: payload as object });
    const ok = await create({ email: 'Cajero@Test.local', password: 'long-enough', nombres: 'Cajero Uno', role: 'Operador', extra: 'ignored' });
    assert.equal(ok.statusCode, 201, ok.body);
    const u = ok.json();
    assert.equal(u.email, 'cajero@test.local');
    assert.equal(u.activo, true);
    assert.equal(u.extra, undefined);
    assert.doesNotMatch(ok.body, /argon2|password/i);
    assert.equal((await create({ email: 'cajero@test.local', password: 'long-enough', nombres: 'x', role: 'Operador' })).statusCode, 409);
    for (const bad of [
      { email: 'no-at', password: 'long-enough', nombres: 'x', role: 'Operador' },
      { email: 'a@b.co', password: 'short', nombres: 'x', role: 'Operador' },
      { email: 'a@b.co', password: 'long-enough', nombres: 'x', role: 'Jefe' },
      { email: 'a@b.co', password: 'long-enough', nombres: 5, role: 'Operador' },
      { email: 'a@b.co', password: 'long-enough', nombres: 'nul\u0000', role: 'Operador' },
    ]) {
      const res = await create(bad);
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
      assert.equal(res.json().statusCode, 400);
      assert.ok(Array.isArray(res.json().message));
    }
    const list = await app.inject({ url: '/usuario', headers: bearer(adminToken) });
    assert.equal(list.statusCode, 200);
    assert.ok(list.json().some((x: { id: string }) => x.id === u.id));
    assert.doesNotMatch(list.body, /argon2|password/i);
    assert.equal((await app.inject({ url: `/usuario/${u.id}`, headers: bearer(adminToken) })).json().email, 'cajero@test.local');
    assert.equal((await app.inject({ url: '/usuario/00000000-0000-4000-8000-000000000000', headers: bearer(adminToken) })).statusCode, 404);
    assert.equal((await app.inject({ url: '/usuario/not-a-uuid', headers: bearer(adminToken) })).statusCode, 400);
    const patched = await app.inject({ method: 'PATCH', url: `/usuario/${u.id}`, headers: bearer(adminToken), payload: { nombres: 'Cajera Uno' } });
    assert.equal(patched.json().nombres, 'Cajera Uno');
  });

  await t.test('deactivation ends tokens at once; same 401 body as a wrong password', async () => {
    const op = await ctx.user('Operador');
    assert.equal((await me(op.token)).statusCode, 200);
    const res = await app.inject({ method: 'PATCH', url: `/usuario/${op.id}`, headers: bearer(adminToken), payload: { activo: false } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().activo, false);
    assert.equal((await me(op.token)).statusCode, 401);
    const deactivated = await login(op.email, op.password);
    const wrong = await login(ADMIN.email, 'wrong-password');
    const unknown = await login('nobody@test.local', 'whatever-pass');
    assert.equal(deactivated.statusCode, 401);
    assert.equal(deactivated.body, wrong.body);
    assert.equal(unknown.body, wrong.body);
  });

  await t.test('refresh rotates; a reused refresh token revokes the family', async () => {
    const first = (await login(ADMIN.email, ADMIN.password)).json();
    const r1 = await app.inject({ method: 'POST', url: '/auth/refresh_token', headers: bearer(first.refresh_token) });
    assert.equal(r1.statusCode, 200);
    const second = r1.json();
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal((await me(second.access_token)).statusCode, 200);
    const reuse = await app.inject({ method: 'POST', url: '/auth/refresh_token', headers: bearer(first.refresh_token) });
    assert.equal(reuse.statusCode, 401);
    // The whole family is gone: the rotated refresh token and its access tokens.
    assert.equal((await app.inject({ method: 'POST', url: '/auth/refresh_token', headers: bearer(second.refresh_token) })).statusCode, 401);
    assert.equal((await me(second.access_token)).statusCode, 401);
    assert.equal((await me(first.access_token)).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/auth/refresh_token' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/auth/refresh_token', headers: bearer('made-up') })).statusCode, 401);
  });

  await t.test('logout revokes the caller’s tokens', async () => {
    const s = (await login(ADMIN.email, ADMIN.password)).json();
    const out = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s.access_token) });
    assert.equal(out.statusCode, 204);
    assert.equal((await me(s.access_token)).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/auth/refresh_token', headers: bearer(s.refresh_token) })).statusCode, 401);
  });

  await t.test('login throttling: 10 failures per email → 429, successes never count', async () => {
    const victim = await ctx.user('Usuario');
    for (let i = 0; i < 5; i++) assert.equal((await login(victim.email, victim.password, '10.0.0.9')).statusCode, 200);
    for (let i = 0; i < 10; i++) assert.equal((await login(victim.email, 'bad-password', '10.0.0.9')).statusCode, 401);
    const blocked = await login(victim.email, victim.password, '10.0.0.10');
    assert.equal(blocked.statusCode, 429);
    assert.equal(blocked.json().statusCode, 429);
    // Until the window lets the oldest counted failure go: at most 15 minutes.
    const retryAfter = Number(blocked.headers['retry-after']);
    assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After ${blocked.headers['retry-after']}`);
    // Another account from the same address is unaffected.
    const other = await ctx.user('Usuario');
    assert.equal((await login(other.email, other.password, '10.0.0.9')).statusCode, 200);
  });

  await t.test('one address may fail 50 times across emails before it is throttled', async () => {
    for (let i = 0; i < 50; i++) {
      assert.equal((await login(`ghost${i}@test.local`, 'bad-password', '10.0.0.77')).statusCode, 401, `attempt ${i}`);
    }
  });

  await t.test('housekeeping drops old login failures and long-expired sessions only', async () => {
    const db = ctx.database.db;
    await sql`insert into login_failures (email, ip, at) values ('old@test.local', '1.2.3.4', now() - interval '2 days')`.execute(db);
    const admin = (await login(ADMIN.email, ADMIN.password)).json();
    await sql`update auth_sessions set expires_at = now() - interval '8 days' where id = ${JSON.parse(Buffer.from(admin.access_token.split('.')[1], 'base64url').toString()).sid}`.execute(db);
    const recent = await sql<{ n: string }>`select count(*)::text as n from login_failures where at > now() - interval '1 day'`.execute(db);
    const removed = await purgeAuthRecords(db);
    assert.ok(removed >= 3, `removed ${removed}`);
    const left = await sql<{ n: string }>`select count(*)::text as n from login_failures`.execute(db);
    assert.equal(left.rows[0]!.n, recent.rows[0]!.n);
    const fresh = (await login(ADMIN.email, ADMIN.password)).json();
    assert.equal((await me(fresh.access_token)).statusCode, 200);
  });

  await t.test('login input is validated strictly', async () => {
    for (const payload of [{ email: 5, password: 'x' }, { email: 'a@b.c' }, { email: 'a@b.c', password: true }]) {
      const res = await app.inject({ method: 'POST', url: '/auth/login', payload });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
    }
  });
});

test('parallel wrong passwords cannot get past the per-email limit', async () => {
  const ctx = await buildTestApp();
  const victim = await ctx.user('Usuario');
  const attempts = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: victim.email, password: `wrong-${i}` }, remoteAddress: `10.9.0.${i}` }),
    ),
  );
  const counts = attempts.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.statusCode]: (acc[r.statusCode] ?? 0) + 1 }), {});
  assert.deepEqual(counts, { 401: 10, 429: 20 });
  const right = await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: victim.email, password: victim.password } });
  assert.equal(right.statusCode, 429);
});
