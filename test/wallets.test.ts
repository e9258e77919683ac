import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

/** A parsed response body: tests read whatever they assert on. */
type Json = ReturnType<typeof JSON.parse>;

// Drivers, collection points, roles, validation and the wallet envelope.

const ctx = await buildTestApp();
const { app, adminToken } = ctx;
const operador = await ctx.user('Operador');
const usuario = await ctx.user('Usuario');
const conductorOnly = await ctx.user('Conductor');

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, token: string | null, payload?: unknown) {
  const res = await ctx.call(method, url, token ? bearer(token) : {}, payload);
  return { status: res.statusCode, body: res.json() };
}

function assertError(r: { status: number; body: Json }, status: number, code: string) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.success, false);
  assert.equal(r.body.error.code, code);
  assert.equal(typeof r.body.message, 'string');
}

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const missing = '11111111-1111-4111-8111-111111111111';

test('POST /drivers creates a driver with an active wallet in the default currency', async () => {
  const r = await call('POST', '/drivers', adminToken, { nombre: 'Ana', telefono: '+53 5555 1234', ignored: 'x' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.success, true);
  assert.equal(typeof r.body.message, 'string');
  const d = r.body.data;
  assert.match(d.id, UUID4);
  assert.match(d.walletId, UUID4);
  assert.deepEqual({ nombre: d.nombre, telefono: d.telefono, email: d.email, userId: d.userId }, { nombre: 'Ana', telefono: '+53 5555 1234', email: null, userId: null });
  assert.equal('ignored' in d, false);

  const bal = await call('GET', `/drivers-balance/${d.id}`, adminToken);
  assert.equal(bal.status, 200);
  assert.deepEqual(
    { ...bal.body.data, createdAt: undefined, updatedAt: undefined },
    { id: d.walletId, driverId: d.id, status: 'active', currency: 'CUP', currentWalletBalance: '0.00', pendingTopupsAmount: '0.00', allowedNegativeLimit: '0.00', createdAt: undefined, updatedAt: undefined },
  );

  // A phone is free text as far as the contract goes: up to 255 characters.
  const longPhone = '+53 5555 1234 (llamar después de las 17 h, preguntar por Ana en la terminal norte) '.padEnd(255, '.');
  assert.equal((await call('POST', '/drivers', adminToken, { nombre: 'Ana larga', telefono: longPhone })).body.data.telefono, longPhone);
  assertError(await call('POST', '/drivers', adminToken, { nombre: 'Ana larga', telefono: `${longPhone}.` }), 400, 'VALIDATION_ERROR');

  const got = await call('GET', `/drivers/${d.id}`, usuario.token);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body.data, d);
});

test('a driver created with email and password logs in as Conductor and reads only their own wallet', async () => {
  const r = await call('POST', '/drivers', adminToken, { nombre: 'Beto', email: 'Beto@Drivers.Test', password: 'driver-pass-1' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.data.email, 'beto@drivers.test');
  assert.match(r.body.data.userId, UUID4);
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'beto@drivers.test', password: 'driver-pass-1' } });
  assert.equal(login.statusCode, 200);
  assert.equal(login.json().user.role, 'Conductor');
  const token = login.json().access_token as string;

  const me = await call('GET', '/drivers-balance/me', token);
  assert.equal(me.status, 200, JSON.stringify(me.body));
  assert.equal(me.body.data.driverId, r.body.data.id);
  const own = await call('GET', `/drivers-balance/${r.body.data.id}`, token);
  assert.equal(own.status, 200);
  assert.deepEqual(own.body.data, me.body.data);
  const ownMoves = await call('GET', `/drivers-balance/${r.body.data.walletId}/movements`, token);
  assert.equal(ownMoves.status, 200);
  assert.deepEqual(ownMoves.body.meta, { page: 1, limit: 10, total: 0, totalPages: 0 });

  const other = await call('POST', '/drivers', adminToken, { nombre: 'Otro' });
  assertError(await call('GET', `/drivers-balance/${other.body.data.id}`, token), 403, 'FORBIDDEN');
  // Existence is not revealed to a Conductor.
  assertError(await call('GET', `/drivers-balance/${missing}`, token), 403, 'FORBIDDEN');
  assertError(await call('GET', `/drivers-balance/${other.body.data.walletId}/movements`, token), 403, 'FORBIDDEN');
  assertError(await call('GET', `/drivers-balance/${missing}/movements`, token), 403, 'FORBIDDEN');
  // Lists and admin routes are closed to a Conductor.
  assertError(await call('GET', '/drivers', token), 403, 'FORBIDDEN');
  assertError(await call('GET', '/drivers-balance/topups', token), 403, 'FORBIDDEN');
  assertError(await call('GET', `/drivers/${r.body.data.id}`, token), 403, 'FORBIDDEN');
  // A Conductor with no driver behind them.
  assertError(await call('GET', '/drivers-balance/me', conductorOnly.token), 404, 'WALLET_NOT_FOUND');
  assertError(await call('GET', '/drivers-balance/me', adminToken), 403, 'FORBIDDEN');

  // The same email again: 409, nothing half-created.
  const before = await call('GET', '/drivers?limit=100', adminToken);
  assertError(await call('POST', '/drivers', adminToken, { nombre: 'Dup', email: 'BETO@drivers.test', password: 'driver-pass-2' }), 409, 'EMAIL_TAKEN');
  assertError(await call('POST', '/drivers', adminToken, { nombre: 'Dup', email: 'beto@drivers.test' }), 409, 'EMAIL_TAKEN');
  const afterList = await call('GET', '/drivers?limit=100', adminToken);
  assert.equal(afterList.body.meta.total, before.body.meta.total);
});

test('POST /drivers validation and roles', async () => {
  assertError(await call('POST', '/drivers', null, { nombre: 'x' }), 401, 'UNAUTHORIZED');
  assertError(await call('POST', '/drivers', operador.token, { nombre: 'x' }), 403, 'FORBIDDEN');
  // Role before validation.
  assertError(await call('POST', '/drivers', usuario.token, { nombre: 5 }), 403, 'FORBIDDEN');
  for (const body of [
    {},
    { nombre: '' },
    { nombre: 5 },
    { nombre: 'a\u0000b' },
    { nombre: 'x'.repeat(256) },
    { nombre: 'x', email: 'not-an-email' },
    { nombre: 'x', password: 'only-password' },
    { nombre: 'x', email: 'short@pw.test', password: 'short' },
    { nombre: 'x', allowedNegativeLimit: '1.234' },
    { nombre: 'x', allowedNegativeLimit: 10 },
  ]) {
    assertError(await call('POST', '/drivers', adminToken, body), 400, 'VALIDATION_ERROR');
  }
  const bad = await app.inject({ method: 'POST', url: '/drivers', headers: { ...bearer(adminToken), 'content-type': 'application/json' }, payload: '{"nombre":' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().success, false);
});

test('GET /drivers paginates and searches; GET /drivers/:id 400/404', async () => {
  for (const n of ['Zeta Uno', 'Zeta Dos', 'Zeta Tres']) await call('POST', '/drivers', adminToken, { nombre: n });
  const page = await call('GET', '/drivers?search=zeta&limit=2&page=2', operador.token);
  assert.equal(page.status, 200, JSON.stringify(page.body));
  assert.deepEqual(page.body.meta, { page: 2, limit: 2, total: 3, totalPages: 2 });
  assert.equal(page.body.data.length, 1);
  assert.equal(page.body.data[0].nombre, 'Zeta Uno');
  const wild = await call('GET', '/drivers?search=%25', adminToken);
  assert.equal(wild.body.meta.total, 0, 'a literal % matches nothing');
  for (const q of ['page=0', 'limit=101', 'limit=0', 'page=abc', 'limit=1.5', 'page=-1', 'page=1&page=2']) {
    assertError(await call('GET', `/drivers?${q}`, adminToken), 400, 'VALIDATION_ERROR');
  }
  assertError(await call('GET', '/drivers/not-a-uuid', adminToken), 400, 'VALIDATION_ERROR');
  assertError(await call('GET', '/drivers/11111111-1111-1111-8111-111111111111', adminToken), 400, 'VALIDATION_ERROR');
  assertError(await call('GET', `/drivers/${missing}`, adminToken), 404, 'DRIVER_NOT_FOUND');
  assertError(await call('GET', `/drivers-balance/${missing}`, adminToken), 404, 'WALLET_NOT_FOUND');
});

test('cash collection points: create, read, update, list', async () => {
  assertError(await call('POST', '/cash-collection-points', operador.token, { name: 'P' }), 403, 'FORBIDDEN');
  assertError(await call('POST', '/cash-collection-points', adminToken, { name: '' }), 400, 'VALIDATION_ERROR');
  assertError(await call('POST', '/cash-collection-points', adminToken, { name: 'P', isActive: 'false' }), 400, 'VALIDATION_ERROR');
  const r = await call('POST', '/cash-collection-points', adminToken, { name: 'Terminal Norte', address: 'Calle 1', contactPhone: '555' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const p = r.body.data;
  assert.match(p.id, UUID4);
  assert.deepEqual({ name: p.name, address: p.address, contactPhone: p.contactPhone, isActive: p.isActive }, { name: 'Terminal Norte', address: 'Calle 1', contactPhone: '555', isActive: true });

  const got = await call('GET', `/cash-collection-points/${p.id}`, usuario.token);
  assert.deepEqual(got.body.data, p);
  const upd = await call('PATCH', `/cash-collection-points/${p.id}`, adminToken, { isActive: false, address: null });
  assert.equal(upd.status, 200, JSON.stringify(upd.body));
  assert.equal(upd.body.data.isActive, false);
  assert.equal(upd.body.data.address, null);
  assert.equal(upd.body.data.name, 'Terminal Norte');
  const phone = await call('PATCH', `/cash-collection-points/${p.id}`, adminToken, { contactPhone: '5'.repeat(255) });
  assert.equal(phone.body.data.contactPhone, '5'.repeat(255));
  assertError(await call('PATCH', `/cash-collection-points/${p.id}`, operador.token, { isActive: true }), 403, 'FORBIDDEN');
  assertError(await call('PATCH', `/cash-collection-points/${missing}`, adminToken, { isActive: true }), 404, 'COLLECTION_POINT_NOT_FOUND');
  assertError(await call('GET', `/cash-collection-points/${missing}`, adminToken), 404, 'COLLECTION_POINT_NOT_FOUND');

  const inactive = await call('GET', '/cash-collection-points?isActive=false', operador.token);
  assert.equal(inactive.status, 200);
  assert.ok(inactive.body.data.some((x: { id: string }) => x.id === p.id));
  assert.ok(inactive.body.data.every((x: { isActive: boolean }) => !x.isActive));
  assertError(await call('GET', '/cash-collection-points?isActive=yes', adminToken), 400, 'VALIDATION_ERROR');
  assertError(await call('GET', '/cash-collection-points', conductorOnly.token), 403, 'FORBIDDEN');
});

test('block / unblock are idempotent and keep their history', async () => {
  const d = (await call('POST', '/drivers', adminToken, { nombre: 'Bloqueable' })).body.data;
  assertError(await call('POST', `/wallets-status/${d.id}/block`, operador.token, {}), 403, 'FORBIDDEN');
  assertError(await call('POST', `/wallets-status/${missing}/block`, adminToken, {}), 404, 'WALLET_NOT_FOUND');
  assertError(await call('POST', `/wallets-status/${d.id}/block`, adminToken, { reason: 'x'.repeat(251) }), 400, 'VALIDATION_ERROR');
  assertError(await call('POST', `/wallets-status/${d.id}/block`, adminToken, { comment: 'x'.repeat(501) }), 400, 'VALIDATION_ERROR');

  const b1 = await call('POST', `/wallets-status/${d.id}/block`, adminToken, { reason: 'Disputa', comment: 'Bloqueo preventivo hasta resolver disputa #D-1234' });
  assert.equal(b1.status, 200, JSON.stringify(b1.body));
  assert.deepEqual({ ...b1.body.data, changedAt: undefined }, { driverId: d.id, walletId: d.walletId, previousStatus: 'active', status: 'blocked', changed: true, changedAt: undefined });
  const b2 = await call('POST', `/wallets-status/${d.id}/block`, adminToken);
  assert.equal(b2.status, 200);
  assert.equal(b2.body.data.changed, false);
  assert.equal(b2.body.data.previousStatus, 'blocked');
  assert.match(b2.body.message, /already blocked/);
  assert.equal((await call('GET', `/drivers-balance/${d.id}`, adminToken)).body.data.status, 'blocked');

  const u1 = await call('POST', `/wallets-status/${d.id}/unblock`, adminToken, { reason: 'Disputa resuelta' });
  assert.equal(u1.body.data.changed, true);
  assert.equal(u1.body.data.status, 'active');
  const u2 = await call('POST', `/wallets-status/${d.id}/unblock`, adminToken, {});
  assert.equal(u2.body.data.changed, false);
  assert.match(u2.body.message, /already active/);

  const h = await call('GET', `/wallets-status/${d.id}/history`, usuario.token);
  assert.equal(h.status, 200, JSON.stringify(h.body));
  assert.deepEqual(h.body.meta, { page: 1, limit: 50, total: 2, totalPages: 1 });
  assert.deepEqual(
    h.body.data.map((x: Json) => [x.previousStatus, x.status, x.reason, x.comment, x.changedByUserId]),
    [
      ['blocked', 'active', 'Disputa resuelta', null, h.body.data[0].changedByUserId],
      ['active', 'blocked', 'Disputa', 'Bloqueo preventivo hasta resolver disputa #D-1234', h.body.data[0].changedByUserId],
    ],
  );
  assertError(await call('GET', `/wallets-status/${missing}/history`, adminToken), 404, 'WALLET_NOT_FOUND');
});

test('the OpenAPI document lists the wallet routes with their schemas', async () => {
  const doc = (await app.inject({ url: '/docs/json' })).json();
  for (const path of ['/drivers', '/drivers-balance/{driverId}/topups', '/drivers-balance/topups/{ccrId}/confirm', '/drivers-balance/{walletId}/movements', '/wallets-status/{driverId}/block']) {
    assert.ok(doc.paths[path], `missing ${path}`);
  }
  const topup = doc.paths['/drivers-balance/{driverId}/topups'].post;
  assert.ok(topup.responses['201'] && topup.responses['409']);
  assert.deepEqual(topup.security, [{ bearerAuth: [] }]);
});

test('ledger verify stays ok', async () => {
  const v = await app.inject({ url: '/ledger/verify', headers: bearer(adminToken) });
  assert.equal(v.statusCode, 200);
  assert.equal(v.json().ok, true, v.body);
});

test('ledger verify notices a top-up record that drifted from its ledger transfer', async () => {
  const d = (await call('POST', '/drivers', adminToken, { nombre: 'Deriva' })).body.data;
  const p = (await call('POST', '/cash-collection-points', adminToken, { name: 'P' })).body.data;
  const t = await call('POST', `/drivers-balance/${d.id}/topups`, adminToken, { collectionPointId: p.id, collectedByUserId: operador.id, amount: '5.00' });
  assert.equal(t.status, 201);
  // Marked cancelled behind the service's back: the pending transfer was never voided.
  const adminId = (await app.inject({ url: '/auth/me', headers: bearer(adminToken) })).json().id as string;
  await ctx.database.db
    .updateTable('cash_collection_records')
    .set({ status: 'cancelled', cancelled_at: new Date(), cancelled_by_user_id: adminId })
    .where('id', '=', t.body.data.cashCollectionRecordId)
    .execute();
  const report = (await app.inject({ url: '/ledger/verify', headers: bearer(adminToken) })).json();
  assert.equal(report.ok, false);
  const failed = report.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name);
  assert.deepEqual(failed.sort(), ['wallet_balances_match_movements', 'wallet_topups_match_transfers']);
});
