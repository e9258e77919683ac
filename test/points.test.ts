import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestApp } from './helper.js';

// Collection points at fleet scale (API.md §6.4): the staff who may record
// cash there, the names on top-up lists and what they add up to; names in
// the block history (§6.7).

const ctx = await buildTestApp();
const admin = bearer(ctx.adminToken);
const wallet = <T = Record<string, unknown>>(res: { json(): { data: T } }) => res.json().data;

test('a staffed point: only its Operadores (and any Administrador) record cash there', async () => {
  const op1 = await ctx.user('Operador');
  const op2 = await ctx.user('Operador');
  const reader = await ctx.user('Usuario');
  const me = await ctx.ok('GET', '/auth/me', admin);
  const driver = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Conductor Staff' })).data;
  const point = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Ventanilla 1', staffUserIds: [op1.id] })).data;
  assert.deepEqual(point.staffUserIds, [op1.id]);
  const open = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Ventanilla libre' })).data;
  assert.deepEqual(open.staffUserIds, []);

  const topup = (who: { id: string; token: string }, pointId: string) =>
    ctx.call('POST', `/drivers-balance/${driver.id}/topups`, bearer(who.token), { collectionPointId: pointId, collectedByUserId: who.id, amount: '10.00' });
  assert.equal((await topup(op1, point.id)).statusCode, 201);
  const refused = await topup(op2, point.id);
  assert.equal(refused.statusCode, 403, refused.body);
  assert.equal(refused.json().error.code, 'NOT_POINT_STAFF');
  assert.equal((await topup(op2, open.id)).statusCode, 201, 'a point without staff takes anyone');
  assert.equal((await topup({ id: me.id, token: ctx.adminToken }, point.id)).statusCode, 201, 'an Administrador anywhere');

  const usable = (who: string) => ctx.ok('GET', `/cash-collection-points?usableBy=${who}&limit=100`, admin);
  const ids = (r: { data: Array<{ id: string }> }) => r.data.map((p) => p.id);
  assert.ok(ids(await usable(op1.id)).includes(point.id));
  assert.ok(!ids(await usable(op2.id)).includes(point.id));
  assert.ok(ids(await usable(op2.id)).includes(open.id));

  const patched = wallet(await ctx.call('PATCH', `/cash-collection-points/${point.id}`, admin, { staffUserIds: [op1.id, op2.id, op2.id] }));
  assert.deepEqual([...(patched.staffUserIds as string[])].sort(), [op1.id, op2.id].sort());
  assert.equal((await topup(op2, point.id)).statusCode, 201);
  assert.deepEqual(wallet(await ctx.call('PATCH', `/cash-collection-points/${point.id}`, admin, { staffUserIds: [] })).staffUserIds, []);
  assert.deepEqual(wallet(await ctx.call('GET', `/cash-collection-points/${point.id}`, admin)).staffUserIds, []);

  const unknown = await ctx.call('PATCH', `/cash-collection-points/${point.id}`, admin, { staffUserIds: ['11111111-1111-4111-8111-111111111111'] });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().error.code, 'USER_NOT_FOUND');
  const notCashier = await ctx.call('POST', '/cash-collection-points', admin, { name: 'X', staffUserIds: [reader.id] });
  assert.equal(notCashier.statusCode, 400);
  assert.equal(notCashier.json().error.code, 'INVALID_STAFF');
  assert.equal((await ctx.call('POST', '/cash-collection-points', admin, { name: 'X', staffUserIds: ['nope'] })).statusCode, 400);
  assert.equal((await ctx.call('POST', '/cash-collection-points', bearer(op1.token), { name: 'X' })).statusCode, 403);
});

test('top-up lists name the driver, point and collector, keep notes apart from the confirm comment, and add up', async () => {
  const cashier = await ctx.user('Operador');
  const me = await ctx.ok('GET', '/auth/me', admin);
  const ana = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Ana Conductora' })).data;
  const luis = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Luis Conductor' })).data;
  const norte = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Terminal Norte' })).data;
  const sur = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Terminal Sur' })).data;
  const record = async (driver: { id: string }, point: { id: string }, amount: string, notes?: string) =>
    (
      await ctx.ok('POST', `/drivers-balance/${driver.id}/topups`, bearer(cashier.token), {
        collectionPointId: point.id,
        collectedByUserId: cashier.id,
        amount,
        ...(notes ? { notes } : {}),
      })
    ).data;
  const a = await record(ana, norte, '150.00', '3 billetes de 50');
  await record(luis, norte, '20.50');
  const c = await record(luis, sur, '7.25');
  await ctx.ok('POST', `/drivers-balance/topups/${a.cashCollectionRecordId}/confirm`, admin, { comment: 'Billetes verificados' });
  await ctx.ok('POST', `/drivers-balance/topups/${c.cashCollectionRecordId}/cancel`, admin, { reason: 'Billete falso' });

  const all = await ctx.ok('GET', `/drivers-balance/topups?collectedByUserId=${cashier.id}&limit=100&sortDir=asc`, admin);
  assert.deepEqual(
    all.data.map((r: Record<string, unknown>) => [r.driverName, r.collectionPointName, r.collectedByName, r.status, r.notes, r.confirmComment, r.cancelReason]),
    [
      ['Ana Conductora', 'Terminal Norte', all.data[0].collectedByName, 'completed', '3 billetes de 50', 'Billetes verificados', null],
      ['Luis Conductor', 'Terminal Norte', all.data[0].collectedByName, 'pending', null, null, null],
      ['Luis Conductor', 'Terminal Sur', all.data[0].collectedByName, 'cancelled', null, null, 'Billete falso'],
    ],
  );
  assert.match(all.data[0].collectedByName, /^Operador/);
  assert.equal(all.meta.totalAmount, '177.75');
  assert.deepEqual(all.meta.byCollectionPoint, [
    { collectionPointId: norte.id, collectionPointName: 'Terminal Norte', currency: 'CUP', count: 2, totalAmount: '170.50' },
    { collectionPointId: sur.id, collectionPointName: 'Terminal Sur', currency: 'CUP', count: 1, totalAmount: '7.25' },
  ]);
  const pending = await ctx.ok('GET', `/drivers-balance/topups?status=pending&collectedByUserId=${cashier.id}`, admin);
  assert.equal(pending.meta.totalAmount, '20.50');
  assert.equal(pending.meta.total, 1);
  const one = await ctx.ok('GET', `/drivers-balance/topups/${a.cashCollectionRecordId}`, admin);
  assert.equal(one.data.notes, '3 billetes de 50', 'the confirm comment never overwrites the notes');
  assert.equal(one.data.confirmComment, 'Billetes verificados');
  assert.equal(one.data.driverName, 'Ana Conductora');
  assert.equal(one.data.resolvedByName, me.nombres);
  assert.equal(all.data[1].resolvedByName, null);
  assert.equal(all.data[2].resolvedByName, me.nombres);
  const none = await ctx.ok('GET', '/drivers-balance/topups?from=2999-01-01', admin);
  assert.deepEqual([none.meta.totalAmount, none.meta.byCollectionPoint], ['0.00', []]);
});

test('the block history names who changed the status', async () => {
  const driver = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Conductor Bloqueado' })).data;
  await ctx.ok('POST', `/wallets-status/${driver.id}/block`, admin, { reason: 'Documentos' });
  const hist = await ctx.ok('GET', `/wallets-status/${driver.id}/history`, admin);
  assert.equal(hist.data[0].changedByName, (await ctx.ok('GET', '/auth/me', admin)).nombres);
});
