import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

/** A parsed response body: tests read whatever they assert on. */
type Json = ReturnType<typeof JSON.parse>;

// Two-phase cash top-ups, balances, movements, debits, idempotency, verify.

const ctx = await buildTestApp();
const { app, adminToken, database } = ctx;
const db = database.db;
const operador = await ctx.user('Operador');
const operador2 = await ctx.user('Operador');
const usuario = await ctx.user('Usuario');
const conductor = await ctx.user('Conductor');
const adminId = (await app.inject({ url: '/auth/me', headers: bearer(adminToken) })).json().id as string;

type Res = { status: number; body: Json; headers: Record<string, unknown> };
async function call(method: 'GET' | 'POST' | 'PATCH', url: string, token: string | null, payload?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const res = await ctx.call(method, url, { ...(token ? bearer(token) : {}), ...headers }, payload);
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}
function assertError(r: Res, status: number, code: string) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.success, false);
  assert.equal(r.body.error.code, code, JSON.stringify(r.body));
}
const missing = '11111111-1111-4111-8111-111111111111';

const newDriver = async (extra: Record<string, unknown> = {}) => (await call('POST', '/drivers', adminToken, { nombre: 'Driver', ...extra })).body.data as { id: string; walletId: string };
const newPoint = async (isActive = true) => (await call('POST', '/cash-collection-points', adminToken, { name: 'Punto', isActive })).body.data as { id: string };
const balance = async (driverId: string) => (await call('GET', `/drivers-balance/${driverId}`, adminToken)).body.data;

const driver = await newDriver();
const point = await newPoint();
const topupUrl = `/drivers-balance/${driver.id}/topups`;
const body = (extra: Record<string, unknown> = {}) => ({ collectionPointId: point.id, collectedByUserId: operador.id, amount: '150.00', ...extra });
const topup = async (driverId: string, extra: Record<string, unknown> = {}, token = adminToken) => {
  const r = await call('POST', `/drivers-balance/${driverId}/topups`, token, body(extra));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.data as { cashCollectionRecordId: string; transactionId: string };
};
const confirm = (ccrId: string, payload?: unknown, headers?: Record<string, string>) => call('POST', `/drivers-balance/topups/${ccrId}/confirm`, adminToken, payload, headers);

test('metadata is free-form: a number a double cannot hold keeps its exact text; the amount field is still refused', async () => {
  const raw = `{"collectionPointId":"${point.id}","collectedByUserId":"${operador.id}","amount":"1.00","metadata":{"lat":40.41677512345678912,"n":2}}`;
  const r = await call('POST', topupUrl, adminToken, raw, { 'content-type': 'application/json' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(r.body.data.metadata, { lat: '40.41677512345678912', n: 2 });
  const bad = await call('POST', topupUrl, adminToken, raw.replace('"amount":"1.00"', '"amount":1.0000000000000000001'), { 'content-type': 'application/json' });
  assertError(bad, 400, 'VALIDATION_ERROR');
  assert.match(bad.body.message, /cannot be represented exactly/);
  const cancel = await call('POST', `/drivers-balance/topups/${r.body.data.cashCollectionRecordId}/cancel`, adminToken, { reason: 'test' });
  assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
});

test('create topup: pending record, wallet not credited, pendingTopupsAmount shows it', async () => {
  const r = await call('POST', topupUrl, adminToken, body({ currency: 'CUP', notes: 'Billetes de 50', description: 'cash topup at desk', metadata: { source: 'window-3', n: [1, 2] }, extra: 'ignored' }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.success, true);
  const d = r.body.data;
  assert.equal(d.status, 'pending');
  assert.equal(d.amount, '150.00');
  assert.equal(d.currency, 'CUP');
  assert.equal(d.collectionPointId, point.id);
  assert.equal(d.collectedByUserId, operador.id);
  assert.equal(d.notes, 'Billetes de 50');
  assert.equal(d.description, 'cash topup at desk');
  assert.deepEqual(d.metadata, { source: 'window-3', n: [1, 2] });
  assert.ok(!Number.isNaN(Date.parse(d.createdAt)));
  assert.notEqual(d.cashCollectionRecordId, d.transactionId);

  const b = await balance(driver.id);
  assert.equal(b.currentWalletBalance, '0.00');
  assert.equal(b.pendingTopupsAmount, '150.00');

  // An Operador names themselves; the amount "7" means 7.00.
  const own = await call('POST', topupUrl, operador.token, body({ amount: '7' }));
  assert.equal(own.status, 201, JSON.stringify(own.body));
  assert.equal(own.body.data.amount, '7.00');
  assert.equal((await balance(driver.id)).pendingTopupsAmount, '157.00');
  // Currency defaults to the wallet's (DEFAULT_CURRENCY, "CUP").
  assert.equal(own.body.data.currency, 'CUP');
});

test('create topup: 400 / 403 / 404 / 409 in the contract order', async () => {
  const inactive = await newPoint(false);
  const before = await balance(driver.id);
  // 401, then role.
  assertError(await call('POST', topupUrl, null, body()), 401, 'UNAUTHORIZED');
  assertError(await call('POST', topupUrl, usuario.token, body()), 403, 'FORBIDDEN');
  assertError(await call('POST', topupUrl, conductor.token, body()), 403, 'FORBIDDEN');
  // 400: path, body.
  assertError(await call('POST', '/drivers-balance/not-a-uuid/topups', adminToken, body()), 400, 'VALIDATION_ERROR');
  assertError(await call('POST', '/drivers-balance/11111111-1111-1111-1111-111111111111/topups', adminToken, body()), 400, 'VALIDATION_ERROR');
  const bad: Record<string, unknown>[] = [
    { amount: '1.234' },
    { amount: '-1' },
    { amount: '0' },
    { amount: '0.00' },
    { amount: 150 },
    { amount: '' },
    { amount: '1e3' },
    { amount: ' 150' },
    { amount: '12345678901' },
    { amount: undefined },
    { collectionPointId: 'abc' },
    { collectionPointId: '11111111-1111-1111-1111-111111111111' },
    { collectedByUserId: 42 },
    { currency: 'usd' },
    { currency: 'US' },
    { currency: 840 },
    { notes: 'x'.repeat(251) },
    { description: 'x'.repeat(251) },
    { notes: 'a\u0000b' },
    { metadata: [1, 2] },
    { metadata: 'text' },
    { metadata: { big: 'x'.repeat(4100) } },
    { metadata: { nested: { v: 'a\u0000b' } } },
    { metadata: { 'k\u0000': 1 } },
  ];
  for (const extra of bad) {
    const r = await call('POST', topupUrl, adminToken, body(extra));
    assertError(r, 400, 'VALIDATION_ERROR');
  }
  assertError(await call('POST', topupUrl, adminToken, body({ currency: 'USD' })), 400, 'CURRENCY_MISMATCH');
  assertError(await call('POST', topupUrl, adminToken, body({ collectedByUserId: usuario.id })), 400, 'INVALID_COLLECTOR');
  assertError(await call('POST', topupUrl, adminToken, body({ collectedByUserId: conductor.id })), 400, 'INVALID_COLLECTOR');
  // 404s.
  assertError(await call('POST', `/drivers-balance/${missing}/topups`, adminToken, body()), 404, 'WALLET_NOT_FOUND');
  assertError(await call('POST', topupUrl, adminToken, body({ collectionPointId: missing })), 404, 'COLLECTION_POINT_NOT_FOUND');
  assertError(await call('POST', topupUrl, adminToken, body({ collectedByUserId: missing })), 404, 'USER_NOT_FOUND');
  assertError(await call('POST', topupUrl, operador.token, body({ collectedByUserId: missing })), 404, 'USER_NOT_FOUND');
  // 403 ownership: an Operador naming someone else.
  assertError(await call('POST', topupUrl, operador.token, body({ collectedByUserId: operador2.id })), 403, 'FORBIDDEN');
  assertError(await call('POST', topupUrl, operador.token, body({ collectedByUserId: adminId })), 403, 'FORBIDDEN');
  // 409.
  assertError(await call('POST', topupUrl, adminToken, body({ collectionPointId: inactive.id })), 409, 'COLLECTION_POINT_INACTIVE');
  // An Administrador may name any Administrador or Operador.
  assert.equal((await call('POST', topupUrl, adminToken, body({ collectedByUserId: adminId, amount: '1' }))).status, 201);
  const after = await balance(driver.id);
  assert.equal(after.pendingTopupsAmount, '158.00', `before ${before.pendingTopupsAmount}`);
});

test('confirm credits once; a second confirm is 409; cancel refuses completed', async () => {
  const d = await newDriver();
  const t = await topup(d.id, { notes: 'Nota del registro', description: 'desc' });
  assertError(await call('POST', `/drivers-balance/topups/${t.cashCollectionRecordId}/confirm`, operador.token, {}), 403, 'FORBIDDEN');
  assertError(await confirm('not-a-uuid', {}), 400, 'VALIDATION_ERROR');
  assertError(await confirm(t.cashCollectionRecordId, { comment: 'x'.repeat(501) }), 400, 'VALIDATION_ERROR');
  assertError(await confirm(t.cashCollectionRecordId, { comment: 5 }), 400, 'VALIDATION_ERROR');
  assertError(await confirm(missing, {}), 404, 'CCR_NOT_FOUND');

  const c = await confirm(t.cashCollectionRecordId, { comment: 'Billetes verificados y contados' });
  assert.equal(c.status, 200, JSON.stringify(c.body));
  const data = c.body.data;
  assert.equal(data.cashCollectionRecordId, t.cashCollectionRecordId);
  assert.equal(data.transactionId, t.transactionId);
  assert.equal(data.status, 'completed');
  assert.equal(data.amount, '150.00');
  assert.equal(data.currency, 'CUP');
  assert.equal(data.previousBalance, '0.00');
  assert.equal(data.newBalance, '150.00');
  assert.equal(data.confirmedByUserId, adminId);
  assert.equal(data.comment, 'Billetes verificados y contados');
  assert.ok(!Number.isNaN(Date.parse(data.confirmedAt)));

  const b = await balance(d.id);
  assert.equal(b.currentWalletBalance, '150.00');
  assert.equal(b.pendingTopupsAmount, '0.00');

  assertError(await confirm(t.cashCollectionRecordId, {}), 409, 'CCR_ALREADY_COMPLETED');
  assertError(await confirm(t.cashCollectionRecordId), 409, 'CCR_ALREADY_COMPLETED');
  assertError(await call('POST', `/drivers-balance/topups/${t.cashCollectionRecordId}/cancel`, adminToken, { reason: 'late' }), 409, 'CCR_ALREADY_COMPLETED');
  assert.equal((await balance(d.id)).currentWalletBalance, '150.00');

  const one = await call('GET', `/drivers-balance/topups/${t.cashCollectionRecordId}`, usuario.token);
  assert.equal(one.status, 200, JSON.stringify(one.body));
  assert.equal(one.body.data.status, 'completed');
  assert.equal(one.body.data.comment, 'Billetes verificados y contados');
  assertError(await call('GET', `/drivers-balance/topups/${missing}`, adminToken), 404, 'CCR_NOT_FOUND');
  assertError(await call('GET', `/drivers-balance/topups/${t.cashCollectionRecordId}`, conductor.token), 403, 'FORBIDDEN');
  // The comment is stored with who and when.
  const row = await db.selectFrom('cash_collection_records').selectAll().where('id', '=', t.cashCollectionRecordId).executeTakeFirstOrThrow();
  assert.equal(row.confirm_comment, 'Billetes verificados y contados');
  assert.equal(row.confirmed_by_user_id, adminId);
  // Exactly one movement, pointing at the ledger POST.
  const moves = await db.selectFrom('wallet_movements').selectAll().where('wallet_id', '=', d.walletId).execute();
  assert.equal(moves.length, 1);
  assert.equal(moves[0]!.amount, 15000n);
  assert.equal(moves[0]!.note, 'Nota del registro');
  const transfer = await db.selectFrom('ledger_transfers').selectAll().where('id', '=', moves[0]!.ledger_transfer_id).executeTakeFirstOrThrow();
  assert.equal(transfer.phase, 'POST');
  assert.equal(transfer.pending_id, row.pending_transfer_id);
});

test('cancel: pending → cancelled, nothing credited', async () => {
  const d = await newDriver();
  const t = await topup(d.id, { amount: '40.50' });
  const url = `/drivers-balance/topups/${t.cashCollectionRecordId}/cancel`;
  assertError(await call('POST', url, operador.token, { reason: 'x' }), 403, 'FORBIDDEN');
  assertError(await call('POST', url, adminToken, {}), 400, 'VALIDATION_ERROR');
  assertError(await call('POST', url, adminToken, { reason: 'x'.repeat(251) }), 400, 'VALIDATION_ERROR');
  assertError(await call('POST', `/drivers-balance/topups/${missing}/cancel`, adminToken, { reason: 'x' }), 404, 'CCR_NOT_FOUND');
  assert.equal((await balance(d.id)).pendingTopupsAmount, '40.50');
  const r = await call('POST', url, adminToken, { reason: 'Cliente se arrepintió' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.data.status, 'cancelled');
  assert.equal(r.body.data.reason, 'Cliente se arrepintió');
  assert.equal(r.body.data.cancelledByUserId, adminId);
  const b = await balance(d.id);
  assert.equal(b.currentWalletBalance, '0.00');
  assert.equal(b.pendingTopupsAmount, '0.00');
  assertError(await call('POST', url, adminToken, { reason: 'again' }), 409, 'CCR_ALREADY_CANCELLED');
  assertError(await confirm(t.cashCollectionRecordId, {}), 409, 'CCR_ALREADY_CANCELLED');
  assert.equal(await db.selectFrom('wallet_movements').select('id').where('wallet_id', '=', d.walletId).execute().then((x) => x.length), 0);
});

test('debits: down to −allowedNegativeLimit, refused below and on a blocked wallet', async () => {
  const d = await newDriver();
  await confirm((await topup(d.id, { amount: '100.00' })).cashCollectionRecordId, {});
  const url = `/drivers-balance/${d.id}/debits`;
  assertError(await call('POST', url, operador.token, { amount: '1', type: 'commission' }), 403, 'FORBIDDEN');
  for (const bad of [{ amount: '1', type: 'tip' }, { amount: 1, type: 'commission' }, { amount: '1.001', type: 'penalty' }, { amount: '0', type: 'penalty' }, { type: 'penalty' }, { amount: '1', type: 'penalty', note: 'x'.repeat(256) }]) {
    assertError(await call('POST', url, adminToken, bad), 400, 'VALIDATION_ERROR');
  }
  assertError(await call('POST', `/drivers-balance/${missing}/debits`, adminToken, { amount: '1', type: 'commission' }), 404, 'WALLET_NOT_FOUND');

  const r = await call('POST', url, adminToken, { amount: '30.25', type: 'commission', reference: 'TRIP-1', note: 'Comisión viaje 1' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.data.previousBalance, '100.00');
  assert.equal(r.body.data.newBalance, '69.75');
  assert.match(r.body.data.transactionId, /^[0-9a-f-]{36}$/);
  assertError(await call('POST', url, adminToken, { amount: '69.76', type: 'penalty' }), 409, 'INSUFFICIENT_FUNDS');
  assert.equal((await balance(d.id)).currentWalletBalance, '69.75');
  const last = await call('POST', url, adminToken, { amount: '69.75', type: 'plan_purchase' });
  assert.equal(last.body.data.newBalance, '0.00');
  assertError(await call('POST', url, adminToken, { amount: '0.01', type: 'adjustment' }), 409, 'INSUFFICIENT_FUNDS');

  // Blocked: debits refused, top-ups still created and confirmed, still blocked after.
  await call('POST', `/wallets-status/${d.id}/block`, adminToken, { reason: 'r' });
  await confirm((await topup(d.id, { amount: '10' })).cashCollectionRecordId, {});
  const b = await balance(d.id);
  assert.equal(b.status, 'blocked');
  assert.equal(b.currentWalletBalance, '10.00');
  assertError(await call('POST', url, adminToken, { amount: '1', type: 'commission' }), 409, 'WALLET_BLOCKED');
  await call('POST', `/wallets-status/${d.id}/unblock`, adminToken, {});
  assert.equal((await call('POST', url, adminToken, { amount: '1', type: 'commission' })).status, 201);

  // A wallet allowed to go 50.00 below zero.
  const n = await newDriver({ allowedNegativeLimit: '50' });
  assert.equal((await balance(n.id)).allowedNegativeLimit, '50.00');
  const neg = await call('POST', `/drivers-balance/${n.id}/debits`, adminToken, { amount: '50.00', type: 'penalty' });
  assert.equal(neg.status, 201, JSON.stringify(neg.body));
  assert.equal(neg.body.data.newBalance, '-50.00');
  assertError(await call('POST', `/drivers-balance/${n.id}/debits`, adminToken, { amount: '0.01', type: 'penalty' }), 409, 'INSUFFICIENT_FUNDS');
  assert.equal((await balance(n.id)).currentWalletBalance, '-50.00');
});

test('a confirmed top-up with empty notes carries its description as the movement note', async () => {
  const d = await newDriver();
  await confirm((await topup(d.id, { amount: '3.00', notes: '', description: 'Ventanilla CUATRO' })).cashCollectionRecordId, {});
  const moves = await call('GET', `/drivers-balance/${d.walletId}/movements`, usuario.token);
  assert.deepEqual(moves.body.data.map((m: Json) => [m.amount, m.note]), [['3.00', 'Ventanilla CUATRO']]);
});

test('movements: signed amounts, balances chain, filters, sorting, pagination', async () => {
  const d = await newDriver();
  const t1 = await topup(d.id, { amount: '100.00', notes: 'Depósito 50% efectivo' });
  await confirm(t1.cashCollectionRecordId, {});
  await confirm((await topup(d.id, { amount: '20.00', description: 'Ventanilla TRES' })).cashCollectionRecordId, {});
  const debit = await call('POST', `/drivers-balance/${d.id}/debits`, adminToken, { amount: '5.50', type: 'commission', note: 'Comisión' });
  await confirm((await topup(d.id, { amount: '1.00' })).cashCollectionRecordId, {});
  await topup(d.id, { amount: '999.00' }); // pending: no movement
  const url = `/drivers-balance/${d.walletId}/movements`;

  const all = await call('GET', url, usuario.token);
  assert.equal(all.status, 200, JSON.stringify(all.body));
  assert.deepEqual(all.body.meta, { page: 1, limit: 10, total: 4, totalPages: 1 });
  assert.deepEqual(
    all.body.data.map((m: Json) => [m.type, m.amount, m.previousBalance, m.newBalance, m.note]),
    [
      ['cash_topup', '1.00', '114.50', '115.50', null],
      ['commission', '-5.50', '120.00', '114.50', 'Comisión'],
      ['cash_topup', '20.00', '100.00', '120.00', 'Ventanilla TRES'],
      ['cash_topup', '100.00', '0.00', '100.00', 'Depósito 50% efectivo'],
    ],
  );
  assert.ok(all.body.data.every((m: Json) => m.walletId === d.walletId));
  assert.equal((await balance(d.id)).currentWalletBalance, '115.50');

  const asc = await call('GET', `${url}?sortBy=amount&sortDir=asc&limit=2&page=2`, adminToken);
  assert.deepEqual(asc.body.meta, { page: 2, limit: 2, total: 4, totalPages: 2 });
  assert.deepEqual(asc.body.data.map((m: Json) => m.amount), ['20.00', '100.00']);
  const beyond = await call('GET', `${url}?page=9`, adminToken);
  assert.deepEqual(beyond.body.data, []);
  // Any page is a page: far past the last one it is empty, not a 400.
  const far = await call('GET', `${url}?page=2147483647&limit=100`, adminToken);
  assert.equal(far.status, 200, JSON.stringify(far.body));
  assert.deepEqual([far.body.data, far.body.meta.total], [[], 4]);

  const byTx = await call('GET', `${url}?transactionId=${debit.body.data.transactionId}`, adminToken);
  assert.deepEqual(byTx.body.data.map((m: Json) => m.type), ['commission']);
  assert.equal((await call('GET', `${url}?search=ventanilla%20tres`, adminToken)).body.meta.total, 1);
  assert.equal((await call('GET', `${url}?search=50%25`, adminToken)).body.meta.total, 1);
  assert.equal((await call('GET', `${url}?search=_`, adminToken)).body.meta.total, 0);
  assert.equal((await call('GET', `${url}?from=2999-01-01T00:00:00Z`, adminToken)).body.meta.total, 0);
  assert.equal((await call('GET', `${url}?to=2000-01-01`, adminToken)).body.meta.total, 0);
  // ISO 8601 as clients write it: no seconds, no zone (UTC in this API).
  for (const from of ['2999-01-01T00:00Z', '2999-01-01T00:00:00', '2999-01-01T00:00']) {
    assert.equal((await call('GET', `${url}?from=${from}`, adminToken)).body.meta.total, 0, from);
  }
  assert.equal((await call('GET', `${url}?from=2000-01-01T00:00`, adminToken)).body.meta.total, 4);
  assert.equal((await call('GET', `${url}?search=${'x'.repeat(255)}`, adminToken)).status, 200);
  const today = new Date().toISOString().slice(0, 10);
  assert.equal((await call('GET', `${url}?from=${today}&to=${today}`, adminToken)).body.meta.total, 4);

  for (const q of ['page=0', 'limit=0', 'limit=101', 'page=x', 'sortBy=note', 'sortDir=up', 'from=yesterday', 'to=2025-13-01', 'transactionId=abc', 'from=2025-02-01&to=2025-01-01', 'search=a%00b', `search=${'x'.repeat(256)}`, 'page=2147483648']) {
    assertError(await call('GET', `${url}?${q}`, adminToken), 400, 'VALIDATION_ERROR');
  }
  assertError(await call('GET', '/drivers-balance/not-a-uuid/movements', adminToken), 400, 'VALIDATION_ERROR');
  assertError(await call('GET', `/drivers-balance/${missing}/movements`, adminToken), 404, 'WALLET_NOT_FOUND');
});

test('GET /drivers-balance/topups filters and paginates', async () => {
  const d = await newDriver();
  const other = await newPoint();
  const a = await topup(d.id, { amount: '1' });
  const b = await topup(d.id, { amount: '2', collectionPointId: other.id }, operador.token);
  await topup(d.id, { amount: '3', collectedByUserId: operador2.id });
  await confirm(a.cashCollectionRecordId, {});
  await call('POST', `/drivers-balance/topups/${b.cashCollectionRecordId}/cancel`, adminToken, { reason: 'x' });

  const all = await call('GET', `/drivers-balance/topups?driverId=${d.id}`, operador.token);
  assert.equal(all.status, 200, JSON.stringify(all.body));
  const { byCollectionPoint, ...meta } = all.body.meta;
  assert.deepEqual(meta, { page: 1, limit: 10, total: 3, totalPages: 1, totalAmount: '6.00' });
  const perPoint = Object.fromEntries(byCollectionPoint.map((p: Json) => [p.collectionPointId, [p.count, p.totalAmount]]));
  assert.deepEqual(perPoint, { [point.id]: [2, '4.00'], [other.id]: [1, '2.00'] });
  const only = async (q: string) => (await call('GET', `/drivers-balance/topups?driverId=${d.id}&${q}`, usuario.token)).body.data.map((x: Json) => x.amount);
  assert.deepEqual(await only('status=completed'), ['1.00']);
  assert.deepEqual(await only('status=cancelled'), ['2.00']);
  assert.deepEqual(await only('status=pending'), ['3.00']);
  assert.deepEqual(await only(`collectionPointId=${other.id}`), ['2.00']);
  assert.deepEqual(await only(`collectedByUserId=${operador2.id}`), ['3.00']);
  assert.deepEqual(await only('sortBy=amount&sortDir=asc'), ['1.00', '2.00', '3.00']);
  assert.deepEqual(await only('limit=1&page=3&sortBy=amount&sortDir=desc'), ['1.00']);
  assert.deepEqual(await only('from=2999-01-01'), []);
  const completed = (await call('GET', `/drivers-balance/topups?driverId=${d.id}&status=completed`, adminToken)).body.data[0];
  assert.equal(completed.status, 'completed');
  assert.equal(completed.confirmedByUserId, adminId);
  for (const q of ['status=done', 'driverId=abc', 'limit=500', 'page=0', 'to=nope']) {
    assertError(await call('GET', `/drivers-balance/topups?${q}`, adminToken), 400, 'VALIDATION_ERROR');
  }
});

test('Idempotency-Key: a retry replays the first response and does nothing else', async () => {
  const d = await newDriver();
  const key = { 'idempotency-key': 'topup-0001' };
  const first = await call('POST', `/drivers-balance/${d.id}/topups`, adminToken, body({ amount: '12.00' }), key);
  assert.equal(first.status, 201);
  const again = await call('POST', `/drivers-balance/${d.id}/topups`, adminToken, body({ amount: '12.00' }), key);
  assert.equal(again.status, 201);
  assert.deepEqual(again.body, first.body);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal((await balance(d.id)).pendingTopupsAmount, '12.00');
  assertError(await call('POST', `/drivers-balance/${d.id}/topups`, adminToken, body({ amount: '13.00' }), key), 422, 'IDEMPOTENCY_KEY_REUSED');

  const ccr = first.body.data.cashCollectionRecordId;
  const ck = { 'idempotency-key': 'confirm-1' };
  const c1 = await confirm(ccr, { comment: 'ok' }, ck);
  const c2 = await confirm(ccr, { comment: 'ok' }, ck);
  assert.equal(c1.status, 200);
  assert.deepEqual(c2.body, c1.body);
  assert.equal((await balance(d.id)).currentWalletBalance, '12.00');
  // A refusal is replayed too.
  const r1 = await confirm(ccr, {}, { 'idempotency-key': 'confirm-2' });
  const r2 = await confirm(ccr, {}, { 'idempotency-key': 'confirm-2' });
  assertError(r1, 409, 'CCR_ALREADY_COMPLETED');
  assert.deepEqual(r2.body, r1.body);

  const dk = { 'idempotency-key': 'debit-1' };
  const d1 = await call('POST', `/drivers-balance/${d.id}/debits`, adminToken, { amount: '2.00', type: 'commission' }, dk);
  const d2 = await call('POST', `/drivers-balance/${d.id}/debits`, adminToken, { type: 'commission', amount: '2.00' }, dk);
  assert.equal(d1.status, 201);
  assert.deepEqual(d2.body, d1.body);
  assert.equal((await balance(d.id)).currentWalletBalance, '10.00');
  assert.equal((await call('GET', `/drivers-balance/${d.walletId}/movements`, adminToken)).body.meta.total, 2);
  assertError(await call('POST', `/drivers-balance/${d.id}/debits`, adminToken, { amount: '1', type: 'commission' }, { 'idempotency-key': 'k'.repeat(256) }), 400, 'VALIDATION_ERROR');
});

test('ledger verify: ok, with the wallet checks', async () => {
  const v = await app.inject({ url: '/ledger/verify', headers: bearer(adminToken) });
  assert.equal(v.statusCode, 200);
  const report = v.json();
  assert.equal(report.ok, true, v.body);
  for (const name of ['wallet_topups_match_transfers', 'wallet_pending_transfers_have_records', 'wallet_balances_match_movements', 'wallet_movements_chain']) {
    assert.ok(report.checks.some((c: { name: string; ok: boolean }) => c.name === name && c.ok), name);
  }
});
