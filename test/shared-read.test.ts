import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedRead } from '../src/core/shared-read.js';
import { bearer, buildTestApp } from './helper.js';

// Balance reads arriving together share one query (issue 19), and a read
// that starts after a write's answer still sees the write.

test('callers in one turn share a read; a caller after it started gets a new one; keys apart; errors shared', async () => {
  const started: string[] = [];
  const gates: Array<() => void> = [];
  const open = () => gates.splice(0).forEach((g) => g());
  const read = sharedRead(async (key: string) => {
    started.push(key);
    if (key === 'bad') throw new Error('no such wallet');
    await new Promise<void>((r) => gates.push(r));
    return { key, n: started.length };
  });
  const first = [read('a'), read('a'), read('b'), read('a')];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, ['a', 'b'], 'one query per key');
  const later = read('a'); // the first 'a' has started: this one waits for a new query
  open();
  const [a1, a2, b, a3] = await Promise.all(first);
  assert.equal(a1, a2);
  assert.equal(a1, a3);
  assert.equal(b!.key, 'b');
  await new Promise((r) => setImmediate(r));
  open();
  assert.notEqual(await later, a1);
  assert.deepEqual(started, ['a', 'b', 'a']);
  const bad = await Promise.allSettled([read('bad'), read('bad')]);
  assert.deepEqual(bad.map((r) => r.status), ['rejected', 'rejected']);
  assert.deepEqual(started, ['a', 'b', 'a', 'bad']);
});

test('read-your-writes under load: every balance read started after a sale\'s answer shows it', async () => {
  const ctx = await buildTestApp();
  const admin = bearer(ctx.adminToken);
  const caja = await ctx.ok('POST', '/cajas', admin, { nombre: 'Caja lecturas', saldo: 10_000 });
  const session = await ctx.ok('POST', '/cajas/abrir', admin, { id_caja: caja.id });
  await ctx.ok('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Entel', monto: 500, id_caja_sesion: session.id });
  const driver = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Lector' })).data;
  const point = (await ctx.ok('POST', '/cash-collection-points', admin, { name: 'Punto lecturas' })).data;
  const me = await ctx.ok('GET', '/auth/me', admin);
  const entel = async () => (await ctx.ok('GET', '/recargas/operadoras/saldos', admin)).find((o: { nombre_operadora: string }) => o.nombre_operadora === 'Entel').saldo_actual;

  // Readers poll all the time; each sale, once answered, must show in every read started after.
  let stop = false;
  const noise = Array.from({ length: 8 }, async () => {
    while (!stop) await entel();
  });
  for (let i = 1; i <= 20; i++) {
    await ctx.ok('POST', '/recargas/cliente', admin, { operadora: 'Entel', numero_cliente: '71234567', monto: 1, id_caja_sesion: session.id });
    const seen = await Promise.all(Array.from({ length: 5 }, entel));
    assert.deepEqual(seen, Array(5).fill(500 - i), `after sale ${i}`);
  }
  for (let i = 1; i <= 5; i++) {
    const t = (await ctx.ok('POST', `/drivers-balance/${driver.id}/topups`, admin, { collectionPointId: point.id, collectedByUserId: me.id, amount: '2.00' })).data;
    await ctx.ok('POST', `/drivers-balance/topups/${t.cashCollectionRecordId}/confirm`, admin, {});
    const seen = await Promise.all(Array.from({ length: 5 }, async () => (await ctx.ok('GET', `/drivers-balance/${driver.id}`, admin)).data.currentWalletBalance));
    assert.deepEqual(seen, Array(5).fill(`${2 * i}.00`), `after confirmation ${i}`);
  }
  stop = true;
  await Promise.all(noise);
});

test('a shared read is encoded once for all who joined it, as the route\'s schema encodes it', async () => {
  const ctx = await buildTestApp();
  const admin = bearer(ctx.adminToken);
  const driver = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Compartido' })).data;
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => ctx.app.inject({ method: 'GET', url: `/drivers-balance/${driver.id}`, headers: admin })));
  for (const r of [a!, b!, c!]) {
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.body, a!.body);
  }
  // The envelope and the encoded money of the route's schema (a string with two decimals), not the service's bigint.
  const body = a!.json();
  assert.equal(body.success, true);
  assert.equal(body.message, 'Wallet balance');
  assert.equal(body.data.currentWalletBalance, '0.00');
  assert.equal(body.data.driverId, driver.id);
  const saldos = await Promise.all([1, 2].map(() => ctx.app.inject({ method: 'GET', url: '/recargas/operadoras/saldos', headers: admin })));
  assert.equal(saldos[0]!.body, saldos[1]!.body);
  assert.deepEqual(saldos[0]!.json().map((o: { nombre_operadora: string }) => o.nombre_operadora).sort(), ['Entel', 'Tigo', 'Viva']);
  assert.equal(typeof saldos[0]!.json()[0].saldo_actual, 'number');
});
