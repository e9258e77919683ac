import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

test('HTTP conventions', async (t) => {
  const { app, adminToken, user } = await buildTestApp({ CORS_ORIGINS: 'https://pos.example.com' });
  const auth = bearer(adminToken);

  await t.test('malformed JSON → 400 in the route family, nothing leaked', async () => {
    const res = await app.inject({ method: 'POST', url: '/usuario', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"email":' });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { statusCode: 400, message: 'Body is not valid JSON', error: 'Bad Request', code: 'INVALID_JSON' });
    const w = await app.inject({ method: 'POST', url: '/drivers', headers: { ...auth, 'content-type': 'application/json' }, payload: '{oops' });
    assert.equal(w.statusCode, 400);
    assert.equal(w.json().success, false);
    assert.equal(w.json().error.code, 'INVALID_JSON');
  });

  await t.test('bodies over 1 MiB → 413', async () => {
    const big = JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(1024 * 1024), nombres: 'x', role: 'Usuario' });
    const res = await app.inject({ method: 'POST', url: '/usuario', headers: { ...auth, 'content-type': 'application/json' }, payload: big });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().statusCode, 413);
  });

  await t.test('a wrong content type is refused as malformed input (400: the contract has no 415)', async () => {
    const res = await app.inject({ method: 'POST', url: '/usuario', headers: { ...auth, 'content-type': 'text/xml' }, payload: '<a/>' });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { statusCode: 400, message: 'Content-Type must be application/json', error: 'Bad Request', code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  await t.test('numbers a double cannot hold exactly are refused, never rounded', async () => {
    const caja = (await app.inject({ method: 'POST', url: '/cajas', headers: auth, payload: { nombre: 'Caja exacta', saldo: 10 } })).json();
    for (const saldo of ['10.0000000000000001', '12345678901234567890', '1e309', '0.30000000000000004']) {
      const res = await app.inject({
        method: 'POST',
        url: '/cajas',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: `{"nombre":"Caja redondeada","saldo":${saldo}}`,
      });
      assert.equal(res.statusCode, 400, saldo);
      assert.equal(res.json().statusCode, 400);
    }
    // Exact spellings of the same amounts are fine, inside strings anything goes.
    const ok = await app.inject({
      method: 'POST',
      url: '/cajas',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"nombre":"Caja 1.0000000000000001","saldo":1.50e1}',
    });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().saldo, 15);
    assert.ok(caja.id);
    // A field the route does not read is ignored, whatever number it holds.
    const unknown = await app.inject({
      method: 'POST',
      url: '/cajas',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"nombre":"Caja con extra","saldo":1,"extra":0.1234567890123456789,"nested":{"x":[12345678901234567890]}}',
    });
    assert.equal(unknown.statusCode, 201, unknown.body);
    assert.equal(unknown.json().saldo, 1);
  });

  await t.test('an empty JSON body is no body; other content types are 400', async () => {
    const someone = await user('Usuario');
    const empty = await app.inject({ method: 'POST', url: '/auth/logout', headers: { ...bearer(someone.token), 'content-type': 'application/json' }, payload: '' });
    assert.equal(empty.statusCode, 204);
    const text = await app.inject({ method: 'POST', url: '/usuario', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'hello' });
    assert.equal(text.statusCode, 400);
  });

  await t.test('URLs the router cannot read are a 400 in the route family, after the token check', async () => {
    const bad = await app.inject({ url: '/drivers/%E0%A4%A', headers: auth });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().success, false);
    assert.doesNotMatch(bad.body, /FST_/);
    const long = await app.inject({ url: `/cajas/${'9'.repeat(300)}`, headers: auth });
    assert.equal(long.statusCode, 400);
    assert.equal(long.json().statusCode, 400);
    // 401 comes before 400 here too: no token, or a forged one.
    for (const headers of [{}, { authorization: 'Bearer not.a.token' }]) {
      const anonymous = await app.inject({ url: '/drivers/%E0%A4%A', headers });
      assert.equal(anonymous.statusCode, 401, anonymous.body);
      assert.deepEqual(anonymous.json(), { success: false, message: 'Unauthorized', error: { code: 'UNAUTHORIZED' } });
      const anonymousLong = await app.inject({ url: `/cajas/${'9'.repeat(300)}`, headers });
      assert.equal(anonymousLong.statusCode, 401, anonymousLong.body);
      assert.equal(anonymousLong.json().statusCode, 401);
    }
  });

  await t.test('a percent-encoded path answers in the family of the route it matched', async () => {
    const noToken = await app.inject({ url: '/%64rivers' });
    assert.equal(noToken.statusCode, 401, noToken.body);
    assert.equal(noToken.json().success, false);
    const badId = await app.inject({ url: '/%64rivers/xyz', headers: auth });
    assert.equal(badId.statusCode, 400, badId.body);
    assert.equal(badId.json().error.code, 'VALIDATION_ERROR');
    const listed = await app.inject({ url: '/%64rivers', headers: auth });
    assert.equal(listed.statusCode, 200, listed.body);
    assert.equal(listed.json().success, true);
    const unknown = await app.inject({ url: '/%64rivers/x/y/z', headers: auth });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().success, false);
    const pos = await app.inject({ url: '/%63ajas/0', headers: auth });
    assert.equal(pos.statusCode, 400);
    assert.equal(pos.json().statusCode, 400);
  });

  await t.test('__proto__, constructor and unknown fields are ignored', async () => {
    const payload = '{"email":"proto@test.local","password":"long-enough","nombres":"P","role":"Usuario","__proto__":{"role":"Administrador"},"constructor":{"prototype":{"x":1}},"isAdmin":true}';
    const res = await app.inject({ method: 'POST', url: '/usuario', headers: { ...auth, 'content-type': 'application/json' }, payload });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().role, 'Usuario');
    assert.equal(({} as Record<string, unknown>).x, undefined);
    assert.equal(res.json().isAdmin, undefined);
  });

  await t.test('unknown paths: cheap 404 in the right family, no auth needed', async () => {
    const pos = await app.inject({ url: '/socket.io/?EIO=4&transport=polling' });
    assert.equal(pos.statusCode, 404);
    assert.equal(pos.json().statusCode, 404);
    const wallet = await app.inject({ url: '/drivers-balance/x/y/z' });
    assert.equal(wallet.statusCode, 404);
    assert.equal(wallet.json().success, false);
  });

  await t.test('wallet routes answer auth errors in the wallet envelope', async () => {
    const res = await app.inject({ url: '/drivers' });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), { success: false, message: 'Unauthorized', error: { code: 'UNAUTHORIZED' } });
  });

  await t.test('request id, security headers, CORS preflight without auth', async () => {
    const res = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    assert.equal(res.headers['x-request-id'], 'abc-123');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    const pre = await app.inject({
      method: 'OPTIONS',
      url: '/recargas/cliente',
      headers: { origin: 'https://pos.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
    });
    assert.equal(pre.statusCode, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://pos.example.com');
    assert.match(String(pre.headers['access-control-allow-headers']), /Idempotency-Key/);
    const other = await app.inject({ method: 'OPTIONS', url: '/recargas/cliente', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  await t.test('OpenAPI document covers every route with bearer auth', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.components.securitySchemes.bearerAuth);
    assert.ok(doc.paths['/auth/login'].post.requestBody);
    assert.ok(doc.paths['/usuario/{id}'].patch);
    const ui = await app.inject({ url: '/docs' });
    assert.ok([200, 302].includes(ui.statusCode));
  });
});

test('API_PREFIX mounts the API under a prefix', async () => {
  const { app } = await buildTestApp({ API_PREFIX: '/api' });
  assert.equal((await app.inject({ url: '/api/health' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/health' })).statusCode, 404);
  const res = await app.inject({ url: '/api/drivers' });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().success, false);
});

test('lone surrogates are refused, not stored altered; the Bearer scheme is case-insensitive', async () => {
  const { app, adminToken } = await buildTestApp();
  const res = await app.inject({
    method: 'POST',
    url: '/usuario',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    payload: '{"email":"s@test.local","password":"long-enough","nombres":"x\\ud800","role":"Usuario"}',
  });
  assert.equal(res.statusCode, 400);
  const me = await app.inject({ url: '/auth/me', headers: { authorization: `bearer ${adminToken}` } });
  assert.equal(me.statusCode, 200);
});
