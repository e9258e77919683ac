// `npm run bench`: load figures for the hot path, against a server that is
// already running (it starts nothing). Typical use, on PostgreSQL:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench ADMIN_EMAIL=a@b.c ADMIN_PASSWORD=... npm start
//   BENCH_URL=http://127.0.0.1:3000 ADMIN_EMAIL=a@b.c ADMIN_PASSWORD=... npm run bench
// It sells 1.00 top-ups on one operator at concurrency 1, 16 and 64, then at
// 16 with a fresh Idempotency-Key on each, reads balances at 64, then checks
// that the operator balance moved by exactly the accepted sales and that the
// ledger verifies. The top-ups at 16 run again with 50 authenticated sockets
// connected and a webhook registered (the server needs
// WEBHOOK_ALLOW_INSECURE=true for a local receiver), for the ratio of the two.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import autocannon from 'autocannon';
import { io } from 'socket.io-client';

const base = (process.env.BENCH_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const email = process.env.ADMIN_EMAIL ?? 'admin@localhost';
const password = process.env.ADMIN_PASSWORD;
if (!password) {
  console.error('Set ADMIN_EMAIL and ADMIN_PASSWORD to an Administrador of the running server.');
  process.exit(2);
}

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function must(method: string, path: string, token?: string, body?: unknown) {
  const r = await call(method, path, token, body);
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

const login = await must('POST', '/auth/login', undefined, { email, password });
const token: string = login.access_token;

// A session of our own with plenty of cash, and a funded operator.
let session = await call('GET', '/cajas/sesion-activa', token);
if (session.status === 404) {
  const caja = await must('POST', '/cajas', token, { nombre: `Bench ${Date.now()}`, saldo: 5_000_000 });
  session = { status: 201, json: await must('POST', '/cajas/abrir', token, { id_caja: caja.id }) };
}
const sessionId: number = session.json.id;
await must('POST', '/recargas/inyeccion', token, { operadora_destino: 'Tigo', monto: 1_000_000, id_caja_sesion: sessionId });

// Exact balance of Tigo in cents, from the JSON number the API returns.
const tigoCents = async (): Promise<bigint> => {
  const saldos: { nombre_operadora: string; saldo_actual: number }[] = await must('GET', '/recargas/operadoras/saldos', token);
  const [whole, frac = ''] = String(saldos.find((s) => s.nombre_operadora === 'Tigo')!.saldo_actual).split('.');
  return BigInt(whole!) * 100n + BigInt(frac.padEnd(2, '0'));
};

interface Row {
  scenario: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  other: number;
}
const rows: Row[] = [];

async function run(scenario: string, connections: number, opts: autocannon.Options) {
  const result = await autocannon({ ...opts, url: `${base}${opts.url ?? ''}`, connections, duration: seconds });
  const row = {
    scenario,
    connections,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    other: result.non2xx + result.errors + result.timeouts,
  };
  rows.push(row);
  console.log(`${scenario} c=${connections}: ${row.rps} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, 2xx ${row.ok}, other ${row.other}`);
  return row;
}

// Accepted sales are counted from the server's own history: autocannon drops
// the responses still in flight when a run ends, but those sales happened.
const salesCount = async (): Promise<number> => (await must('GET', `/recargas/historial/clientes?id_caja_sesion=${sessionId}`, token)).length;

const before = await tigoCents();
const soldBefore = await salesCount();
const sale = JSON.stringify({ operadora: 'Tigo', numero_cliente: '78945612', monto: 1, id_caja_sesion: sessionId });
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
for (const c of [1, 16, 64]) {
  await run('top-up', c, { url: '/recargas/cliente', method: 'POST', headers, body: sale });
}
// The same with 50 sockets listening and a webhook receiving every sale.
const received = { socket: 0, webhook: 0 };
const sockets = await Promise.all(
  Array.from({ length: 50 }, async () => {
    const s = io(base, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
    s.on('event', () => received.socket++);
    await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
    return s;
  }),
);
const receiver = createServer((req, res) => {
  req.resume().on('end', () => {
    received.webhook++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const hook = await call('POST', '/webhooks', token, {
  url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`,
  events: ['recarga.completed'],
});
if (hook.status !== 201) console.log(`(no webhook: ${hook.json?.message}; start the server with WEBHOOK_ALLOW_INSECURE=true)`);
const plain = rows.find((r) => r.scenario === 'top-up' && r.connections === 16)!;
const live = await run('top-up, 50 sockets + webhook', 16, { url: '/recargas/cliente', method: 'POST', headers, body: sale });
await new Promise((r) => setTimeout(r, 1000));
console.log(
  `  with 50 sockets and a webhook: ${Math.round((100 * live.rps) / plain.rps)} % of the plain rate; ` +
    `events received by the sockets ${received.socket} (50 × ${Math.round(received.socket / 50)}), by the webhook ${received.webhook}`,
);
for (const s of sockets) s.disconnect();
if (hook.status === 201) await call('DELETE', `/webhooks/${hook.json.id}`, token);
receiver.close();

await run('top-up, keyed', 16, {
  url: '/recargas/cliente',
  requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, headers: { ...headers, 'idempotency-key': randomUUID() }, body: sale }) }],
});
await run('balances', 64, { url: '/recargas/operadoras/saldos', headers: { authorization: `Bearer ${token}` } });
const after = await tigoCents();
const sold = (await salesCount()) - soldBefore;

const moved = before - after;
const expected = BigInt(sold) * 100n;
const verify = await must('GET', '/ledger/verify', token);
console.log('');
console.table(rows);
console.log(`accepted top-ups (server history): ${sold}; Tigo balance moved ${moved} cents, expected ${expected}: ${moved === expected ? 'exact' : 'MISMATCH'}`);
console.log(`ledger verify: ${verify.ok ? 'ok' : JSON.stringify(verify.checks.filter((c: { ok: boolean }) => !c.ok))}`);
process.exitCode = moved === expected && verify.ok ? 0 : 1;
