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
// their own (bench/listeners.ts). Then driver-wallet balance reads at 64,
// and the mixed load (bench/mixed.ts): 64 cashiers on 64 sessions across
// the three operators, with wallet top-ups and confirms alongside.
//
// The raw baseline (bench/raw.ts), each run right before the service's at
// the same concurrency: the same ledger transaction, one per sale,
// straight on the database, at 16 and 64; BENCH_RAW names where:
// the PostgreSQL URL the server uses (a scratch database is made beside it),
// or `embedded` (PGlite in this process, for a server on the embedded
// engine). The summary prints each target of issue 19 as a ratio of two
// figures of this run.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { checkWallets, runMixed, setupMixed } from './mixed.js';
import { rawEmbedded, rawOnPostgres, type RawResult } from './raw.js';

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
  return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
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
  session = { status: 201, json: await must('POST', '/cajas/abrir', token, { id_caja: caja.id }), headers: new Headers() };
}
const sessionId: number = session.json.id;
await must('POST', '/recargas/inyeccion', token, { operadora_destino: 'Tigo', monto: 1_000_000, id_caja_sesion: sessionId });

// Exact cents of a JSON number the API returns (its shortest decimal text).
const cents = (n: number): bigint => {
  const [whole, frac = ''] = String(n).split('.');
  return BigInt(whole!) * 100n + BigInt(frac.padEnd(2, '0'));
};
const floatsNow = async () => new Map(((await must('GET', '/recargas/operadoras/saldos', token)) as { nombre_operadora: string; saldo_actual: number }[]).map((s) => [s.nombre_operadora, cents(s.saldo_actual)]));
const tigoCents = async (): Promise<bigint> => (await floatsNow()).get('Tigo')!;

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

// The server's resident memory now and at its peak, from /proc (MB).
const memory = (): { rss: number; peak: number } | null => {
  if (!serverPid) return null;
  const status = readFileSync(`/proc/${serverPid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
};
const idleMemory = memory();

// The raw baseline, set up now; each of its runs goes right before the
// service's run at the same concurrency (the machine's speed drifts within
// minutes: each ratio compares neighbours).
const rawTarget = process.env.BENCH_RAW;
const baseline = rawTarget ? await (rawTarget === 'embedded' ? rawEmbedded() : rawOnPostgres(rawTarget, 64)) : null;
if (!baseline) console.log('(no raw baseline: set BENCH_RAW to the server\'s DATABASE_URL, or to embedded)');
const raw: RawResult[] = [];
async function rawAt(connections: number) {
  if (!baseline) return;
  const r = await baseline.at(connections, seconds);
  raw.push(r);
  console.log(`raw baseline (${rawTarget === 'embedded' ? 'PGlite' : 'PostgreSQL'}, one transaction per sale) c=${r.connections}: ${r.rps} sales/s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
}

async function run(scenario: string, connections: number, opts: autocannon.Options) {
  const load = { ...opts, url: `${base}${opts.url ?? ''}`, connections };
  // A second of the same load first, not counted: the server's code paths are compiled by then.
  await autocannon({ ...load, duration: 1 });
  const cpuBefore = cpuMs();
  const result = await autocannon({ ...load, duration: seconds });
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
const salesCount = async (session = sessionId): Promise<number> => {
  const r = await call('GET', `/recargas/historial/clientes?id_caja_sesion=${session}&limit=1`, token);
  return Number(r.headers.get('x-total-count'));
};

const before = await tigoCents();
const soldBefore = await salesCount();
const sale = JSON.stringify({ operadora: 'Tigo', numero_cliente: '78945612', monto: 1, id_caja_sesion: sessionId });
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
for (const c of [1, 16, 64]) {
  if (c > 1) await rawAt(c);
  await run('top-up', c, { url: '/recargas/cliente', method: 'POST', headers, body: sale });
}
await baseline?.close();
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
const saldos = await run('balances', 64, { url: '/recargas/operadoras/saldos', headers: { authorization: `Bearer ${token}` } });
const after = await tigoCents();
const sold = (await salesCount()) - soldBefore;
const moved = before - after;
const expected = BigInt(sold) * 100n;

const mixed = await setupMixed(must, token, sessionId, 64, 16);
const wallets = await run('wallet balance (GET /drivers-balance/:id)', 64, { url: `/drivers-balance/${mixed.drivers[0]}`, headers: { authorization: `Bearer ${token}` } });
const floats = async () => [...(await floatsNow()).values()].reduce((a, b) => a + b, 0n);
const floatsBefore = await floats();
await runMixed(base, token, mixed, 16, 1); // not counted, as above
const cpuBefore = cpuMs();
const m = await runMixed(base, token, mixed, 16, seconds);
const cpuAfter = cpuMs();
await new Promise((r) => setTimeout(r, 500));
const mixedSold = (await Promise.all(mixed.cashiers.map((c) => salesCount(c.session)))).reduce((a, b) => a + b, 0);
const mixedMoved = floatsBefore - (await floats());
const mixedCpu = cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) / (m.sales.requests.total + m.wallet.requests.total)) * 1000) / 1000;
for (const [scenario, connections, r] of [
  ['mixed: top-ups, 64 cashiers, 3 operators', 64, m.sales],
  ['mixed: wallet top-up + confirm', 16, m.wallet],
] as const) {
  rows.push({
    scenario,
    connections,
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    other: r.non2xx + r.errors + r.timeouts,
    cpuMsPerRequest: mixedCpu,
  });
}
const walletCheck = await checkWallets(must, token, mixed.drivers);
const verify = await must('GET', '/ledger/verify', token);
const endMemory = memory();

console.log('');
console.table(rows);
for (const r of raw) console.log(`raw baseline c=${r.connections}: ${r.rps} sales/s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
if (idleMemory && endMemory) console.log(`server memory: ${idleMemory.rss} MB resident before the bench, ${endMemory.rss} MB after, peak ${endMemory.peak} MB`);

// Issue 19's targets, each as a ratio of two figures of this run.
const byName = (scenario: string, c: number) => rows.find((r) => r.scenario === scenario && r.connections === c)!;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const t16 = byName('top-up', 16);
const t64 = byName('top-up', 64);
const summary: Array<{ measure: string; value: string }> = [];
for (const r of raw) {
  const t = r.connections === 16 ? t16 : t64;
  summary.push({ measure: `top-ups at ${r.connections} ÷ raw baseline at ${r.connections}`, value: `${ratio(t.rps, r.rps)}×` });
}
if (raw.length > 0) {
  const raw64 = raw.find((r) => r.connections === 64)!;
  summary.push({ measure: 'mixed load (top-ups + wallet requests) ÷ raw baseline at 64', value: `${ratio(m.sales.requests.average + m.wallet.requests.average, raw64.rps)}×` });
}
summary.push({ measure: 'top-ups at 64, p99', value: `${t64.p99} ms` });
summary.push({ measure: 'mixed top-ups at 64, p99', value: `${m.sales.latency.p99} ms` });
summary.push({ measure: 'operator balances at 64 ÷ top-ups at 64', value: `${ratio(saldos.rps, t64.rps)}×` });
summary.push({ measure: 'wallet balance at 64 ÷ top-ups at 64', value: `${ratio(wallets.rps, t64.rps)}×` });
console.table(summary);

console.log(`accepted top-ups (server history): ${sold}; Tigo balance moved ${moved} cents, expected ${expected}: ${moved === expected ? 'exact' : 'MISMATCH'}`);
const mixedExact = mixedMoved === BigInt(mixedSold) * 100n;
console.log(`mixed: ${mixedSold} top-ups accepted, the three floats moved ${mixedMoved} cents: ${mixedExact ? 'exact' : 'MISMATCH'}; drivers credited ${walletCheck.credited}, each balance = its completed top-ups: ${walletCheck.exact ? 'exact' : 'MISMATCH'}`);
console.log(`ledger verify: ${verify.ok ? 'ok' : JSON.stringify(verify.checks.filter((c: { ok: boolean }) => !c.ok))}`);
process.exitCode = moved === expected && mixedExact && walletCheck.exact && verify.ok ? 0 : 1;
