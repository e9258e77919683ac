import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { after, test } from 'node:test';
import { isPublicAddress, refusalOf } from '../src/webhooks/address-guard.js';
import { sendEvent } from '../src/webhooks/send.js';
import { verify } from '../src/webhooks/signing.js';
import { bearer, buildTestApp } from './helper.js';

// Webhooks (API.md §6.5, §6.7; issue 17): registration, signatures, retries
// after errors and timeouts, order per webhook, giving up, deletion.

const TIMING = { timeoutMs: 300, retryBaseMs: 100, maxDelayMs: 400, giveUpAfterMs: 60_000, pollMs: 50 };
const ctx = await buildTestApp({ WEBHOOK_ALLOW_INSECURE: 'true' }, { webhookTiming: TIMING });
const admin = bearer(ctx.adminToken);

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; occurredAt: string; data: Record<string, unknown> };
  at: number;
}

/** A receiver: `answer` decides each request's fate (a status, or 'hang' past the timeout). */
async function receiver(answer: (r: Received, n: number) => number | 'hang' = () => 200) {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r: Received = { path: req.url!, headers: req.headers, body, json: JSON.parse(body), at: Date.now() };
      got.push(r);
      const fate = answer(r, got.length);
      if (fate === 'hang') setTimeout(() => res.writeHead(200).end(), TIMING.timeoutMs * 3).unref();
      else res.writeHead(fate).end('ignored body');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, got };
}

async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const register = (url: string, events: string[]) => ctx.ok('POST', '/webhooks', admin, { url, events, description: 'test' });
const driver = async (nombre: string) => (await ctx.ok('POST', '/drivers', admin, { nombre })).data as { id: string };
const block = (id: string) => ctx.ok('POST', `/wallets-status/${id}/block`, admin, {});
const unblock = (id: string) => ctx.ok('POST', `/wallets-status/${id}/unblock`, admin, {});

test('registration: a whsec_ secret shown once, listed without it, validated', async () => {
  const hook = await register('http://127.0.0.1:9/x', ['wallet.blocked']);
  assert.match(hook.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(Buffer.from(hook.secret.slice(6), 'base64').length, 32);
  const list = await ctx.ok('GET', '/webhooks', admin);
  const listed = list.find((w: { id: string }) => w.id === hook.id);
  assert.deepEqual(Object.keys(listed).sort(), ['createdAt', 'deliveredThrough', 'description', 'events', 'id', 'url', 'waiting']);
  assert.equal(listed.waiting, 0);
  for (const body of [
    { url: 'http://127.0.0.1:9/x', events: [] },
    { url: 'http://127.0.0.1:9/x', events: ['recarga.sold'] },
    { url: 'http://127.0.0.1:9/x', events: ['float.low', 'float.low'] },
    { url: 'not a url', events: ['float.low'] },
    { url: 'ftp://example.com/x', events: ['float.low'] },
  ]) {
    const r = await ctx.call('POST', '/webhooks', admin, body);
    assert.equal(r.statusCode, 400, JSON.stringify(body));
    assert.equal(r.json().statusCode, 400, 'POS family');
  }
  const other = await ctx.user('Operador');
  assert.equal((await ctx.call('GET', '/webhooks', bearer(other.token))).statusCode, 403);
  assert.equal((await ctx.call('DELETE', '/webhooks/not-a-uuid', admin)).statusCode, 400);
  assert.equal((await ctx.call('DELETE', '/webhooks/11111111-1111-4111-8111-111111111111', admin)).statusCode, 404);
  assert.equal((await ctx.call('DELETE', `/webhooks/${hook.id}`, admin)).statusCode, 200);
});

test('only https to public addresses, unless WEBHOOK_ALLOW_INSECURE', async () => {
  for (const url of ['http://93.184.216.34/x', 'https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://192.168.0.10/x', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://[fd00::1]/x', 'https://user:pw@93.184.216.34/x']) {
    assert.ok(await refusalOf(url, false), url);
  }
  assert.equal(await refusalOf('https://93.184.216.34/hooks', false), null);
  assert.equal(await refusalOf('http://127.0.0.1:8080/x', true), null);
  for (const a of ['100.64.0.1', '0.0.0.0', '::ffff:127.0.0.1', '224.0.0.1']) assert.equal(isPublicAddress(a), false, a);
  assert.equal(isPublicAddress('8.8.8.8'), true);
  const strict = await buildTestApp();
  const r = await strict.call('POST', '/webhooks', bearer(strict.adminToken), { url: 'https://127.0.0.1/hook', events: ['float.low'] });
  assert.equal(r.statusCode, 400);
  assert.equal(r.json().code, 'INVALID_WEBHOOK_URL');
});

test('a delivery is signed per Standard Webhooks and carries the event as sockets see it', async () => {
  const rx = await receiver();
  const hook = await register(`${rx.url}/hooks`, ['wallet.blocked', 'wallet.unblocked']);
  const d = await driver('Firmado');
  await block(d.id);
  await until('the delivery', () => rx.got.length === 1);
  const r = rx.got[0]!;
  assert.equal(r.path, '/hooks');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['webhook-id'], r.json.id);
  assert.match(String(r.headers['webhook-timestamp']), /^\d{10}$/);
  assert.ok(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000) < 10);
  // Verified as a receiver would, from the secret alone.
  const key = Buffer.from(hook.secret.replace(/^whsec_/, ''), 'base64');
  const expected = `v1,${createHmac('sha256', key).update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`).digest('base64')}`;
  assert.equal(r.headers['webhook-signature'], expected);
  assert.ok(verify(hook.secret, r.json.id, Number(r.headers['webhook-timestamp']), r.body, String(r.headers['webhook-signature'])));
  assert.ok(!verify(hook.secret, r.json.id, Number(r.headers['webhook-timestamp']), r.body.replace('blocked', 'active'), String(r.headers['webhook-signature'])));
  assert.equal(r.json.type, 'wallet.blocked');
  assert.equal(r.json.data.driverId, d.id);
  assert.equal(r.json.data.status, 'blocked');
  const deliveries = await until('recorded as delivered', async () => {
    const h = await ctx.ok('GET', `/webhooks/${hook.id}/deliveries`, admin);
    return h[0]?.status === 'delivered' && h;
  });
  assert.equal(deliveries.length, 1);
  assert.equal(deliveries[0].eventId, r.json.id);
  const listed = (await ctx.ok('GET', '/webhooks', admin)).find((w: { id: string }) => w.id === hook.id);
  assert.equal(listed.deliveredThrough, r.json.id, 'its cursor is past the event');
  assert.equal(listed.waiting, 0);
  await ctx.ok('DELETE', `/webhooks/${hook.id}`, admin);
});

test('retried after a 500 and after no answer, with the same id; in order per webhook', async () => {
  // The first event fails twice (500, then a hang past the timeout); the ones after it wait their turn.
  const rx = await receiver((r, n) => (n === 1 ? 500 : n === 2 ? 'hang' : 200));
  const hook = await register(rx.url, ['wallet.blocked', 'wallet.unblocked']);
  const d = await driver('Reintentos');
  await block(d.id);
  await unblock(d.id);
  await block(d.id);
  await until('three events delivered', () => rx.got.filter((r) => r.json.type).length >= 5, 8000);
  const ids = rx.got.map((r) => r.json.id);
  assert.equal(ids[0], ids[1], 'a retry is the same event');
  assert.equal(ids[1], ids[2]);
  const distinct = [...new Set(ids)];
  assert.equal(distinct.length, 3);
  assert.deepEqual(distinct, [...distinct].sort((a, b) => Number(a) - Number(b)), 'in outbox order');
  assert.deepEqual(rx.got.map((r) => r.json.type), ['wallet.blocked', 'wallet.blocked', 'wallet.blocked', 'wallet.unblocked', 'wallet.blocked']);
  assert.ok(rx.got[1]!.at - rx.got[0]!.at >= TIMING.retryBaseMs * 0.9, 'backed off');
  const history = await until('all delivered', async () => {
    const h = await ctx.ok('GET', `/webhooks/${hook.id}/deliveries`, admin);
    return h.every((x: { status: string }) => x.status === 'delivered') && h.length === 3 && h;
  });
  const first = history.find((x: { eventId: string }) => x.eventId === ids[0]);
  assert.equal(first.attempts, 3);
  assert.equal(first.lastStatusCode, 200);
  await ctx.ok('DELETE', `/webhooks/${hook.id}`, admin);
});

test('given up after the retry window: marked failed, and the next event goes', async () => {
  const quick = await buildTestApp({ WEBHOOK_ALLOW_INSECURE: 'true' }, { webhookTiming: { ...TIMING, giveUpAfterMs: 400 } });
  const rx = await receiver((r) => (r.json.type === 'wallet.blocked' ? 503 : 200));
  const hook = await quick.ok('POST', '/webhooks', bearer(quick.adminToken), { url: rx.url, events: ['wallet.blocked', 'wallet.unblocked'] });
  const d = (await quick.ok('POST', '/drivers', bearer(quick.adminToken), { nombre: 'Sin respuesta' })).data;
  await quick.ok('POST', `/wallets-status/${d.id}/block`, bearer(quick.adminToken), {});
  await quick.ok('POST', `/wallets-status/${d.id}/unblock`, bearer(quick.adminToken), {});
  const history = await until('failed, then the next delivered', async () => {
    const h = await quick.ok('GET', `/webhooks/${hook.id}/deliveries`, bearer(quick.adminToken));
    return h.length === 2 && h.some((x: { status: string }) => x.status === 'failed') && h.some((x: { status: string }) => x.status === 'delivered') && h;
  });
  const failed = history.find((x: { eventType: string }) => x.eventType === 'wallet.blocked');
  assert.equal(failed.status, 'failed');
  assert.equal(failed.lastStatusCode, 503);
  assert.ok(failed.attempts >= 2);
});

test('only subscribed types; a deleted webhook gets nothing more', async () => {
  const rx = await receiver();
  const hook = await register(rx.url, ['wallet.unblocked']);
  const d = await driver('Suscrito');
  await block(d.id);
  await unblock(d.id);
  await until('the unblock', () => rx.got.length === 1);
  assert.equal(rx.got[0]!.json.type, 'wallet.unblocked');
  await ctx.ok('DELETE', `/webhooks/${hook.id}`, admin);
  await block(d.id);
  await unblock(d.id);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(rx.got.length, 1);
  assert.equal((await ctx.call('GET', `/webhooks/${hook.id}/deliveries`, admin)).statusCode, 404);
});

test('a receiver that does not answer in time is told as such', async () => {
  const silent = http.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/`;
    const outcome = await sendEvent({ url, secret: `whsec_${Buffer.alloc(32).toString('base64')}` }, { id: '1', type: 'wallet.blocked', occurredAt: new Date().toISOString(), data: {} }, { timeoutMs: 150, allowInsecure: true });
    assert.deepEqual(outcome, { ok: false, status: null, error: 'no answer in 150 ms' });
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});
