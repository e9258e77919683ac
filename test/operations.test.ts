import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import { bearer, buildTestApp } from './helper.js';

// Operations (API.md §6.6, §6.7; issue 18), in process: the embedded
// engine's one-process lock and the shutdown's two steps. The real server
// under SIGTERM, and two servers on one database: test/ops (npm run test:ops).

test('a second opener of the same DATA_DIR is refused while the first holds it, and takes it over once released', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-lock-'));
  try {
    const first = await openDatabase({ dataDir: dir });
    assert.ok(existsSync(path.join(dir, 'embedded.pid')));
    await assert.rejects(openDatabase({ dataDir: dir }), /DATA_DIR .* is in use by process \d+: the embedded database belongs to one process/);
    await first.close();
    assert.ok(!existsSync(path.join(dir, 'embedded.pid')), 'released at close');
    const again = await openDatabase({ dataDir: dir });
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock left by a process that died is taken over', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-lock-'));
  try {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'embedded.pid'), '2147483646'); // no such process
    const db = await openDatabase({ dataDir: dir });
    await db.close();
    // A restarted container process often has the pid its killed predecessor had: its lock is stale too.
    writeFileSync(path.join(dir, 'embedded.pid'), String(process.pid));
    const again = await openDatabase({ dataDir: dir });
    await assert.rejects(openDatabase({ dataDir: dir }), /in use by process/, 'but a lock this process holds is not');
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a new DATA_DIR is made by a child process, with shared_buffers from its first start; the leftover of a start killed during initdb is replaced', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-init-'));
  try {
    mkdirSync(path.join(dir, 'pgdata.init', 'base'), { recursive: true });
    const db = await openDatabase({ dataDir: dir, sharedBuffers: '24MB' });
    const { rows } = await sql<{ v: string }>`select current_setting('shared_buffers') as v`.execute(db.db);
    assert.equal(rows[0]!.v, '24MB');
    await db.close();
    assert.ok(existsSync(path.join(dir, 'pgdata', 'PG_VERSION')));
    assert.ok(!existsSync(path.join(dir, 'pgdata.init')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shutting down: /ready 503 first; once the time is up, writes not started get 503 SHUTTING_DOWN with Retry-After and write nothing', async () => {
  const ctx = await buildTestApp();
  const admin = bearer(ctx.adminToken);
  const caja = await ctx.ok('POST', '/cajas', admin, { nombre: 'Caja cierre', saldo: 100 });
  const session = await ctx.ok('POST', '/cajas/abrir', admin, { id_caja: caja.id });
  assert.equal((await ctx.call('GET', '/ready')).statusCode, 200);

  ctx.app.beginShutdown();
  const ready = await ctx.call('GET', '/ready');
  assert.equal(ready.statusCode, 503);
  assert.equal(ready.headers['retry-after'], '1');
  // Until the time is up, writes are served as usual.
  await ctx.ok('POST', '/cajas/movimiento', admin, { tipo: 'INGRESO', monto: 1, motivo: 'antes', id_sesion_caja: session.id });

  ctx.app.refuseNewWrites();
  const keyed = { ...admin, 'idempotency-key': 'cierre-1' };
  const refused = await ctx.call('POST', '/cajas/movimiento', keyed, { tipo: 'INGRESO', monto: 5, motivo: 'después', id_sesion_caja: session.id });
  assert.equal(refused.statusCode, 503);
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(refused.json().code, 'SHUTTING_DOWN');
  const sale = await ctx.call('POST', '/recargas/cliente', admin, { operadora: 'Tigo', numero_cliente: '71234567', monto: 1, id_caja_sesion: session.id });
  assert.equal(sale.statusCode, 503);
  const movements = await ctx.ok('GET', `/cajas/sesion/${session.id}/movimientos`, admin);
  assert.deepEqual(movements.map((m: { motivo: string }) => m.motivo).filter((m: string) => m === 'antes' || m === 'después'), ['antes']);
  const s = await ctx.ok('GET', `/cajas/sesion/${session.id}`, admin);
  assert.equal(s.total_ingresos, 1);
  // Reads still answer.
  assert.equal((await ctx.call('GET', '/cajas', admin)).statusCode, 200);
});
