import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { bearer, buildTestApp, testDatabase } from './helper.js';

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

test('/ready answers 503 when the database is gone, /health stays 200', async () => {
  const database = await testDatabase();
  const config = loadConfig({ JWT_SECRET: 'test-secret-test-secret-test-secret-123' });
  const app = await buildApp({ config, db: database.db, jwtSecret: config.JWT_SECRET! });
  await app.ready();
  assert.equal((await app.inject({ url: '/ready' })).statusCode, 200);
  await database.close();
  const res = await app.inject({ url: '/ready' });
  assert.equal(res.statusCode, 503);
  assert.deepEqual(res.json(), { status: 'database unreachable' });
  assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
  await app.close();
});
