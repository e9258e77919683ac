// `npm run bench`: load figures for the hot path, against a server that is
// already running (it starts nothing). Typical use, on PostgreSQL:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench ADMIN_EMAIL=a@b.c ADMIN_PASSWORD=... npm start
//   BENCH_URL=http://127.0.0.1:3000 ADMIN_EMAIL=a@b.c ADMIN_PASSWORD=... npm run bench
// It sells 1.00 top-ups on one operator at concurrency 1, 16 and 64, then at
// 16 with a fresh Idempotency-Key on each, reads balances at 64, then checks
// that the operator balance moved by exactly the accepted sales and that the
// ledger verifies. Live updates: the top-ups at 16 run again with 50
// authenticated sockets connected (back-office screens that get every event,
// or POS screens that get their own) and a webhook registered (the server
// needs WEBHOOK_ALLOW_INSECURE=true for a local receiver), each right after
// a plain run, for the ratio of the two; the listeners run in a process of
// their own (bench/listeners.ts).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';

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
  cpuMsPerRequest: number | null;
}
const rows: Row[] = [];

// With BENCH_SERVER_PID (a server on this machine), the server process's
// CPU time per request too, from /proc: what the server spends, apart from
// what the load generator and the listeners cost the shared machine.
const serverPid = process.env.BENCH_SERVER_PID;
const cpuMs = (): number | null => {
  if (!serverPid) return null;
  const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
};

async function run(scenario: string, connections: number, opts: autocannon.Options) {
  const cpuBefore = cpuMs();
  const result = await autocannon({ ...opts, url: `${base}${opts.url ?? ''}`, connections, duration: seconds });
  const cpuAfter = cpuMs();
  const row = {
    scenario,
    connections,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    other: result.non2xx + result.errors + result.timeouts,
    cpuMsPerRequest: cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) / result.requests.total) * 1000) / 1000,
  };
  rows.push(row);
  const cpu = row.cpuMsPerRequest === null ? '' : `, server CPU ${row.cpuMsPerRequest} ms/request`;
  console.log(`${scenario} c=${connections}: ${row.rps} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, 2xx ${row.ok}, other ${row.other}${cpu}`);
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
// The same with 50 sockets listening and a webhook receiving every sale:
// once as 50 back-office screens (an Administrador's token: every event),
// once as 50 POS screens (an Operador's: its own sessions' events, the
// floats, and the cajas' dataChanged).
const cashier = { email: `bench-${Date.now()}@bench.local`, password: 'bench-cashier-1' };
await must('POST', '/usuario', token, { ...cashier, nombres: 'Bench POS', role: 'Operador' });
const cashierToken: string = (await must('POST', '/auth/login', undefined, cashier)).access_token;
// Each live run comes right after a plain one, and the ratio is of the two,
// so that the machine's drift between runs does not count.
type Listener = { child: ChildProcess; hookUrl: string };
async function listen(socketToken: string, sockets: number): Promise<Listener> {
  const child = fork(new URL('./listeners.ts', import.meta.url).pathname, [JSON.stringify({ base, token: socketToken, sockets })], { execArgv: ['--import', 'tsx'] });
  const hookUrl = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { ready: string }).ready));
    child.once('exit', (code) => reject(new Error(`listeners exited with ${code}`)));
  });
  return { child, hookUrl };
}
const counts = (l: Listener) =>
  new Promise<{ events: number; changed: number; webhook: number }>((resolve) => {
    l.child.once('message', (m) => resolve((m as { received: { events: number; changed: number; webhook: number } }).received));
    l.child.send('count');
  });
const flavours = [
  { who: '50 back-office sockets + webhook', socketToken: token, sockets: 50, hook: true },
  { who: '50 POS sockets + webhook', socketToken: cashierToken, sockets: 50, hook: true },
  { who: '50 back-office sockets', socketToken: token, sockets: 50, hook: false },
  { who: 'webhook', socketToken: token, sockets: 0, hook: true },
];
for (const f of process.env.BENCH_LIVE === '0' ? [] : flavours) {
  const plain = await run('top-up (plain, for the ratio)', 16, { url: '/recargas/cliente', method: 'POST', headers, body: sale });
  const l = await listen(f.socketToken, f.sockets);
  const hook = f.hook ? await call('POST', '/webhooks', token, { url: l.hookUrl, events: ['recarga.completed'] }) : null;
  if (hook && hook.status !== 201) console.log(`(no webhook: ${hook.json?.message}; start the server with WEBHOOK_ALLOW_INSECURE=true)`);
  const live = await run(`top-up, ${f.who}`, 16, { url: '/recargas/cliente', method: 'POST', headers, body: sale });
  await new Promise((r) => setTimeout(r, 1000));
  const got = await counts(l);
  console.log(
    `  ${Math.round((100 * live.rps) / plain.rps)} % of the plain rate` +
      (live.cpuMsPerRequest && plain.cpuMsPerRequest ? `, ${Math.round((100 * live.cpuMsPerRequest) / plain.cpuMsPerRequest) / 100}× its server CPU per top-up` : '') +
      `; the sockets got ${got.events} events and ` +
      `${got.changed} dataChanged; the webhook ${got.webhook} deliveries (in order, one at a time)`,
  );
  if (hook?.status === 201) await call('DELETE', `/webhooks/${hook.json.id}`, token);
  l.child.send('stop');
}

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
