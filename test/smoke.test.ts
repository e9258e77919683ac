import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { bearer, buildTestApp, onPostgres, testDatabase } from './helper.js';

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

test('while the server is still reaching its database, /health is 200 and every other route a 503 in its family', async () => {
  const database = await testDatabase();
  const config = loadConfig({ JWT_SECRET: 'test-secret-test-secret-test-secret-123' });
  let available = false;
  const app = await buildApp({ config, db: database.db, jwtSecret: config.JWT_SECRET!, available: () => available });
  await app.ready();
  try {
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
    const ready = await app.inject({ url: '/ready' });
    assert.deepEqual([ready.statusCode, ready.json()], [503, { status: 'starting' }]);
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'a@b.co', password: 'x' } });
    assert.deepEqual([login.statusCode, login.json().error], [503, 'Service Unavailable']);
    const wallet = await app.inject({ url: '/drivers', headers: bearer('whatever') });
    assert.deepEqual([wallet.statusCode, wallet.json().error.code], [503, 'SERVICE_STARTING']);
    assert.equal((await app.inject({ url: '/socket.io/?EIO=4' })).statusCode, 404);
    available = true;
    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'a@b.co', password: 'wrong-pass' } })).statusCode, 401);
  } finally {
    await app.close();
    await database.close();
  }
});

// The process itself, on a server: it listens before its database exists,
// then migrates and opens once the database appears.
test('npm start on PostgreSQL waits for its database instead of exiting', { skip: !onPostgres && 'needs a PostgreSQL server' }, async () => {
  const name = `t_late_${randomBytes(4).toString('hex')}`;
  const serverUrl = new URL(process.env.TEST_DATABASE_URL!);
  const admin = new pg.Client({ connectionString: serverUrl.toString() });
  await admin.connect();
  serverUrl.pathname = `/${name}`;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, DATABASE_URL: serverUrl.toString(), PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: 'x'.repeat(40), ADMIN_EMAIL: 'late@b.co', ADMIN_PASSWORD: 'late-pass-1', LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  const get = async (path: string) => {
    for (;;) {
      try {
        return await fetch(`http://127.0.0.1:${port}${path}`);
      } catch {
        await new Promise((r) => setTimeout(r, 100)); // not listening yet
      }
    }
  };
  try {
    assert.equal((await get('/health')).status, 200);
    assert.equal((await get('/ready')).status, 503);
    await admin.query(`create database ${name}`);
    let status = 0;
    for (let i = 0; i < 150 && status !== 200; i++) {
      status = (await get('/ready')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200, 'ready once its database exists');
    const login = await fetch(`http://127.0.0.1:${port}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'late@b.co', password: 'late-pass-1' }),
    });
    assert.equal(login.status, 200, 'the first administrator was created once it could be');
  } finally {
    child.kill('SIGKILL');
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});
