import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { bearer, buildTestApp, onPostgres } from './helper.js';

// GET /metrics (API.md §6.6; issue 18): behind its own token, Prometheus
// text, and the counters move with traffic.

const TOKEN = 'metrics-token-0123456789';
const ctx = await buildTestApp({ METRICS_TOKEN: TOKEN, WEBHOOK_ALLOW_INSECURE: 'true' });
const admin = bearer(ctx.adminToken);

async function scrape(): Promise<string> {
  const res = await ctx.call('GET', '/metrics', { authorization: `Bearer ${TOKEN}` });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  return res.body;
}

/** A sample's value: `name{a="b",…} value`, labels in any order; 0 when absent. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}

test('404 without METRICS_TOKEN; 401 without the right bearer, in text', async () => {
  const off = await buildTestApp();
  assert.equal((await off.call('GET', '/metrics', { authorization: `Bearer ${TOKEN}` })).statusCode, 404);
  for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, ctx.adminToken && `Bearer ${ctx.adminToken}`]) {
    const res = await ctx.call('GET', '/metrics', authorization ? { authorization } : {});
    assert.equal(res.statusCode, 401);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
  }
});

test('the metrics are there and move with traffic; no label carries an id', async () => {
  const caja = await ctx.ok('POST', '/cajas', admin, { nombre: 'Caja métrica', saldo: 1000 });
  const session = await ctx.ok('POST', '/cajas/abrir', admin, { id_caja: caja.id });
  await ctx.ok('POST', '/recargas/inyeccion', admin, { operadora_destino: 'Tigo', monto: 100, id_caja_sesion: session.id });

  const before = await scrape();
  for (const name of [
    'http_request_duration_seconds_bucket', 'ledger_write_batch_size_bucket', 'ledger_write_queue_wait_seconds_bucket',
    'ledger_queued_writes', 'live_sockets', 'webhook_outbox_backlog_events', 'webhook_deliveries_total',
    'process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds',
    ...(onPostgres ? ['db_pool_connections'] : []),
  ]) {
    assert.match(before, new RegExp(`^${name}[{ ]`, 'm'), name);
  }

  const sales = await Promise.all(
    Array.from({ length: 7 }, () => ctx.call('POST', '/recargas/cliente', admin, { operadora: 'Tigo', numero_cliente: '71234567', monto: 1, id_caja_sesion: session.id })),
  );
  assert.deepEqual(sales.map((s) => s.statusCode), Array(7).fill(201));
  await ctx.call('GET', `/cajas/sesion/${session.id}`, admin);
  assert.equal((await ctx.call('GET', '/no/such/path/12345', admin)).statusCode, 404);

  const after = await scrape();
  const posted = { method: 'POST', route: '/recargas/cliente', status: '201' };
  assert.equal(value(after, 'http_request_duration_seconds_count', posted) - value(before, 'http_request_duration_seconds_count', posted), 7);
  assert.equal(value(after, 'ledger_write_batch_size_sum') - value(before, 'ledger_write_batch_size_sum'), 7, 'every sale went through a batch');
  assert.ok(value(after, 'ledger_write_batch_size_count') > value(before, 'ledger_write_batch_size_count'));
  assert.equal(value(after, 'ledger_write_queue_wait_seconds_count') - value(before, 'ledger_write_queue_wait_seconds_count'), 7);
  assert.equal(value(after, 'http_request_duration_seconds_count', { method: 'GET', route: '/cajas/sesion/:id', status: '200' }), 1);
  assert.equal(value(after, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' }), 1);
  assert.equal(value(after, 'ledger_queued_writes'), 0);

  const routes = [...after.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!);
  assert.ok(routes.length > 0);
  for (const r of routes) assert.ok(r === 'unmatched' || !/\/\d+(\/|$)|[0-9a-f]{8}-[0-9a-f]{4}-/.test(r), `route label ${r} carries an id`);
});

test('webhook deliveries are counted by outcome, and the backlog goes back to 0', async () => {
  let answer = 500;
  const receiver = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(answer).end()));
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`;
    const hook = await ctx.ok('POST', '/webhooks', admin, { url, events: ['wallet.blocked'] });
    const before = await scrape();
    const driver = (await ctx.ok('POST', '/drivers', admin, { nombre: 'Métrico' })).data;
    await ctx.ok('POST', `/wallets-status/${driver.id}/block`, admin, { reason: 'prueba' });
    const deadline = Date.now() + 5000;
    while (value(await scrape(), 'webhook_deliveries_total', { outcome: 'retry' }) === value(before, 'webhook_deliveries_total', { outcome: 'retry' })) {
      assert.ok(Date.now() < deadline, 'a failed attempt is counted');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(value(await scrape(), 'webhook_outbox_backlog_events') >= 1, 'the event waits');
    answer = 200;
    await ctx.ok('DELETE', `/webhooks/${hook.id}`, admin);
    assert.equal(value(await scrape(), 'webhook_outbox_backlog_events'), 0, 'no webhook: nothing waits');
  } finally {
    receiver.close();
  }
});
