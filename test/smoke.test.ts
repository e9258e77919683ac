import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

test('health, docs and login', async () => {
  const { app, adminToken } = await buildTestApp();
  assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/ready' })).statusCode, 200);
  const docs = await app.inject({ url: '/docs/json' });
  assert.equal(docs.statusCode, 200);
  assert.equal(docs.json().openapi, '3.1.0');
  const me = await app.inject({ url: '/auth/me', headers: bearer(adminToken) });
  assert.equal(me.statusCode, 200, me.body);
  assert.equal(me.json().role, 'Administrador');
  const verify = await app.inject({ url: '/ledger/verify', headers: bearer(adminToken) });
  assert.equal(verify.statusCode, 200, verify.body);
  assert.equal(verify.json().ok, true);
});
