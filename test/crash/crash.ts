// `npm run test:crash`: the real server (dist/bin/server.js, as `npm start` runs it)
// is SIGKILLed at random points while a stream of money requests with
// Idempotency-Keys is in flight; it is restarted each time, every request
// that got no answer is retried with its key, and then the books must agree:
// every request answered 2xx exists exactly once, nothing partial, unanswered
// ones happened at most once, `verify` is clean. On PostgreSQL and on PGlite.
// Top-ups without a key ('venta', on Entel: the one-statement batches) ride
// along; one left unanswered cannot be retried, so it may or may not be in
// the books, but whatever is there must add up. A webhook subscribed to
// every event type receives, through all the crashes, one event per
// committed change (duplicates only by id), in outbox order.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { freePort, freshDatabase } from '../ops/servers.js';

const ADMIN = { email: 'crash@test.local', password: 'crash-password-1' };
const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
let rngState = seed;
const rand = () => ((rngState = (rngState * 1103515245 + 12345) % 2147483648) / 2147483648);
const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

const cents = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
const toCents = (v: number | string) => {
  const [w, f = ''] = String(v).split('.');
  return Number(w) * 100 + Number(f.padEnd(2, '0'));
};


type Kind = 'recarga' | 'venta' | 'inyeccion' | 'topup' | 'confirm' | 'debit';
interface Op {
  kind: Kind;
  method: 'POST';
  path: string;
  body: unknown;
  key: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field below
  answer?: { status: number; body: any; replayed: boolean };
  amount: number;
}

interface Totals {
  requests: number;
  crashes: number;
  unanswered: number;
  replayed: number;
  failures: string[];
}

/** A webhook receiver that answers 200 to everything and keeps what it got, in arrival order. */
async function webhookReceiver() {
  const got: Array<{ id: string; type: string }> = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const e = JSON.parse(body) as { id: string; type: string };
      got.push({ id: e.id, type: e.type });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`, got, close: () => server.close() };
}

async function runScenario(engine: 'postgres' | 'pglite', opsTarget: number, crashes: number): Promise<Totals> {
  const totals: Totals = { requests: 0, crashes: 0, unanswered: 0, replayed: 0, failures: [] };
  const receiver = await webhookReceiver();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    JWT_SECRET: randomBytes(32).toString('hex'),
    WEBHOOK_ALLOW_INSECURE: 'true',
    WEBHOOK_TIMEOUT_MS: '2000',
  };
  const database = await freshDatabase(engine);
  Object.assign(env, database.env);
  if (engine === 'pglite') delete env.DATABASE_URL;

  let child: ChildProcess | undefined;
  let up: Promise<void> = Promise.resolve();
  const start = async () => {
    child = spawn(process.execPath, ['--max-semi-space-size=2', '--v8-pool-size=1', 'dist/bin/server.js'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    for (let i = 0; i < 300; i++) {
      try {
        const r = await fetch(`${base}/ready`);
        if (r.status === 200) return;
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${engine}: server did not become ready`);
  };
  const kill = async () => {
    const c = child!;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };

  const call = async (method: string, p: string, token?: string, body?: unknown, key?: string) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, replayed: res.headers.get('idempotent-replayed') === 'true' };
  };
  const must = async (method: string, p: string, token?: string, body?: unknown) => {
    const r = await call(method, p, token, body);
    if (r.status >= 300) throw new Error(`${method} ${p} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  try {
    await start();
    const login = await must('POST', '/auth/login', undefined, ADMIN);
    const token: string = login.access_token;
    const adminId: string = login.user.id;
    const hook = await must('POST', '/webhooks', token, {
      url: receiver.url,
      events: ['recarga.completed', 'recarga.annulled', 'injection.completed', 'session.opened', 'session.closed', 'float.low',
        'wallet.topup.pending', 'wallet.topup.confirmed', 'wallet.topup.cancelled', 'wallet.debited', 'wallet.blocked', 'wallet.unblocked'],
    });
    const caja = await must('POST', '/cajas', token, { nombre: 'Crash caja', saldo: 50_000 });
    const session = await must('POST', '/cajas/abrir', token, { id_caja: caja.id });
    const setupInjection = await must('POST', '/recargas/inyeccion', token, { operadora_destino: 'Tigo', monto: 500, id_caja_sesion: session.id });
    const entelInjection = await must('POST', '/recargas/inyeccion', token, { operadora_destino: 'Entel', monto: 500, id_caja_sesion: session.id });
    const driver = (await must('POST', '/drivers', token, { nombre: 'Crash driver' })).data;
    const point = (await must('POST', '/cash-collection-points', token, { name: 'Crash point' })).data;

    const ops: Op[] = [];
    const queue: Op[] = [];
    const makeOp = (): Op => {
      const r = rand();
      const key = randomUUID();
      if (r < 0.35) {
        const c = between(100, 3000);
        return { kind: 'recarga', method: 'POST', path: '/recargas/cliente', key, amount: c, body: { operadora: 'Tigo', numero_cliente: '78945612', monto: Number(cents(c)), id_caja_sesion: session.id } };
      }
      if (r < 0.45) {
        const c = between(100, 3000);
        return { kind: 'venta', method: 'POST', path: '/recargas/cliente', key: '', amount: c, body: { operadora: 'Entel', numero_cliente: '70000000', monto: Number(cents(c)), id_caja_sesion: session.id } };
      }
      if (r < 0.55) {
        const c = between(100, 20_000);
        return { kind: 'inyeccion', method: 'POST', path: '/recargas/inyeccion', key, amount: c, body: { operadora_destino: 'Tigo', monto: Number(cents(c)), id_caja_sesion: session.id } };
      }
      if (r < 0.8) {
        const c = between(1, 50_000);
        return { kind: 'topup', method: 'POST', path: `/drivers-balance/${driver.id}/topups`, key, amount: c, body: { collectionPointId: point.id, collectedByUserId: adminId, amount: cents(c), notes: `crash ${key}` } };
      }
      const c = between(1, 5_000);
      return { kind: 'debit', method: 'POST', path: `/drivers-balance/${driver.id}/debits`, key, amount: c, body: { amount: cents(c), type: 'commission', note: `crash ${key}` } };
    };
    const onAnswer = (op: Op) => {
      if (op.kind === 'topup' && op.answer!.status === 201) {
        const id = op.answer!.body.data.cashCollectionRecordId;
        queue.push({ kind: 'confirm', method: 'POST', path: `/drivers-balance/topups/${id}/confirm`, key: randomUUID(), amount: op.amount, body: { comment: 'ok' } });
      }
    };

    // Send one op; a network failure (the server died) leaves it unanswered.
    const send = async (op: Op): Promise<boolean> => {
      totals.requests++;
      try {
        const r = await call(op.method, op.path, token, op.body, op.key);
        if (r.status >= 500) {
          totals.failures.push(`${op.kind} ${op.key}: ${r.status} ${JSON.stringify(r.body)}`);
          return false;
        }
        if (r.status === 409 && r.body?.error?.code === 'IDEMPOTENCY_REQUEST_IN_FLIGHT') return false;
        if (r.status === 409 && r.body?.message?.includes?.('still being processed')) return false;
        op.answer = r;
        if (r.replayed) totals.replayed++;
        onAnswer(op);
        return true;
      } catch {
        return false;
      }
    };

    // Unanswered and sent without a key: they cannot be retried safely.
    const lost: Op[] = [];
    const unanswered: Op[] = [];
    let produced = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        await up;
        const op = queue.shift() ?? (produced < opsTarget ? (produced++, makeOp()) : undefined);
        if (!op) {
          if (produced >= opsTarget) return;
          continue;
        }
        ops.push(op);
        if (!(await send(op))) (op.key ? unanswered : lost).push(op);
      }
    };
    const killer = async () => {
      for (let i = 0; i < crashes; i++) {
        await new Promise((r) => setTimeout(r, between(300, 1500)));
        if (produced >= opsTarget) break;
        let release!: () => void;
        up = new Promise((r) => (release = r));
        await kill();
        totals.crashes++;
        await start();
        release();
      }
    };
    await Promise.all([killer(), ...Array.from({ length: 8 }, worker)]);
    stop = true;

    // Retry with the same keys until each has an answer.
    totals.unanswered = unanswered.length;
    for (let round = 0; round < 5 && unanswered.some((o) => !o.answer); round++) {
      for (const op of unanswered.filter((o) => !o.answer)) await send(op);
      while (queue.length) {
        const op = queue.shift()!;
        ops.push(op);
        if (!(await send(op))) unanswered.push(op);
      }
    }
    for (const op of ops.filter((o) => !o.answer && o.key)) totals.failures.push(`${op.kind} ${op.key}: never answered`);

    // One more crash and restart before checking: nothing may depend on memory.
    await kill();
    totals.crashes++;
    await start();

    const ok = (k: Kind) => ops.filter((o) => o.kind === k && o.answer && o.answer.status < 300);
    const expectSame = (what: string, expected: Array<string | number>, actual: Array<string | number>) => {
      const e = [...expected].map(String).sort();
      const a = [...actual].map(String).sort();
      const dup = a.length !== new Set(a).size;
      if (dup || e.length !== a.length || e.some((v, i) => v !== a[i])) {
        totals.failures.push(`${what}: answered 2xx ${e.length}, stored ${a.length}${dup ? ' (duplicates!)' : ''}`);
      }
    };

    const recargas: { id: number }[] = await must('GET', `/recargas/historial/clientes?id_caja_sesion=${session.id}&operadora=Tigo`, token);
    expectSame('recargas', ok('recarga').map((o) => o.answer!.body.id), recargas.map((r) => r.id));
    const inyecciones: { id: number }[] = await must('GET', `/recargas/historial/inyecciones?id_caja_sesion=${session.id}`, token);
    expectSame('inyecciones', ok('inyeccion').map((o) => o.answer!.body.id), inyecciones.map((r) => r.id).filter((id) => id !== setupInjection.id && id !== entelInjection.id));
    // Unkeyed sales: every one answered 2xx is there once; the rest are unanswered ones that did happen.
    const ventas: { id: number; monto: number }[] = await must('GET', `/recargas/historial/clientes?id_caja_sesion=${session.id}&operadora=Entel`, token);
    const ventaIds = new Set(ventas.map((v) => v.id));
    const answeredVentas = ok('venta').map((o) => o.answer!.body.id as number);
    if (ventaIds.size !== ventas.length || answeredVentas.some((id) => !ventaIds.has(id)) || ventas.length > answeredVentas.length + lost.length) {
      totals.failures.push(`unkeyed sales: answered 2xx ${answeredVentas.length}, lost ${lost.length}, stored ${ventas.length}`);
    }
    const sold = ventas.reduce((sum, v) => sum + toCents(v.monto), 0);

    const records: { cashCollectionRecordId?: string; id?: string; status: string }[] = [];
    for (let page = 1; ; page++) {
      const r = await must('GET', `/drivers-balance/topups?driverId=${driver.id}&limit=100&page=${page}`, token);
      records.push(...r.data);
      if (page >= r.meta.totalPages) break;
    }
    const recordId = (r: { cashCollectionRecordId?: string; id?: string }) => r.cashCollectionRecordId ?? r.id!;
    expectSame('cash top-ups', ok('topup').map((o) => o.answer!.body.data.cashCollectionRecordId), records.map(recordId));
    expectSame(
      'confirmed top-ups',
      ok('confirm').map((o) => o.answer!.body.data.cashCollectionRecordId),
      records.filter((r) => r.status === 'completed').map(recordId),
    );

    const movements: { transactionId: string; type: string; amount: string }[] = [];
    for (let page = 1; ; page++) {
      const r = await must('GET', `/drivers-balance/${driver.walletId}/movements?limit=100&page=${page}`, token);
      movements.push(...r.data);
      if (page >= r.meta.totalPages) break;
    }
    expectSame('debits', ok('debit').map((o) => o.answer!.body.data.transactionId), movements.filter((m) => m.type !== 'cash_topup').map((m) => m.transactionId));

    const wallet = (await must('GET', `/drivers-balance/${driver.id}`, token)).data;
    const expectedWallet = ok('confirm').reduce((s, o) => s + o.amount, 0) - ok('debit').reduce((s, o) => s + o.amount, 0);
    if (toCents(wallet.currentWalletBalance) !== expectedWallet) {
      totals.failures.push(`wallet balance ${wallet.currentWalletBalance}, expected ${cents(expectedWallet)}`);
    }
    const saldos: { nombre_operadora: string; saldo_actual: number }[] = await must('GET', '/recargas/operadoras/saldos', token);
    const tigo = toCents(saldos.find((s) => s.nombre_operadora === 'Tigo')!.saldo_actual);
    const expectedTigo = 50_000 + ok('inyeccion').reduce((s, o) => s + o.amount, 0) - ok('recarga').reduce((s, o) => s + o.amount, 0);
    if (tigo !== expectedTigo) totals.failures.push(`Tigo saldo ${cents(tigo)}, expected ${cents(expectedTigo)}`);
    const entel = toCents(saldos.find((s) => s.nombre_operadora === 'Entel')!.saldo_actual);
    if (entel !== 50_000 - sold) totals.failures.push(`Entel saldo ${cents(entel)}, expected ${cents(50_000 - sold)}`);
    const ses = await must('GET', `/cajas/sesion/${session.id}`, token);
    const expectedTeorico = 5_000_000 - 100_000 + sold + ok('recarga').reduce((s, o) => s + o.amount, 0) - ok('inyeccion').reduce((s, o) => s + o.amount, 0);
    if (toCents(ses.monto_final_teorico) !== expectedTeorico) {
      totals.failures.push(`session teórico ${ses.monto_final_teorico}, expected ${cents(expectedTeorico)}`);
    }
    // The webhook: every delivery done (a send cut by SIGKILL is sent again after its lease), one event per committed change.
    for (let i = 0; i < 300; i++) {
      const listed = (await must('GET', '/webhooks', token)).find((w: { id: string }) => w.id === hook.id);
      const pending = await must('GET', `/webhooks/${hook.id}/deliveries?status=pending&limit=1`, token);
      if (listed.waiting === 0 && pending.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const pendingLeft = await must('GET', `/webhooks/${hook.id}/deliveries?status=pending&limit=500`, token);
    const failedDeliveries = await must('GET', `/webhooks/${hook.id}/deliveries?status=failed&limit=500`, token);
    if (pendingLeft.length || failedDeliveries.length) totals.failures.push(`webhook: ${pendingLeft.length} pending, ${failedDeliveries.length} failed`);
    const firstSeen: Array<{ id: string; type: string }> = [];
    const seen = new Set<string>();
    for (const e of receiver.got) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      firstSeen.push(e);
    }
    const order = firstSeen.map((e) => BigInt(e.id));
    if (order.some((id, i) => i > 0 && id <= order[i - 1]!)) totals.failures.push('webhook: events out of order');
    const delivered = (type: string) => firstSeen.filter((e) => e.type === type).length;
    const expectCount = (what: string, type: string, n: number) => {
      if (delivered(type) !== n) totals.failures.push(`webhook ${what}: ${delivered(type)} ${type} events, ${n} in the books`);
    };
    expectCount('sales', 'recarga.completed', recargas.length + ventas.length);
    expectCount('injections', 'injection.completed', inyecciones.length);
    expectCount('top-ups', 'wallet.topup.pending', records.length);
    expectCount('confirmations', 'wallet.topup.confirmed', records.filter((r) => r.status === 'completed').length);
    expectCount('debits', 'wallet.debited', movements.filter((m) => m.type !== 'cash_topup').length);
    const duplicates = receiver.got.length - firstSeen.length;

    const verify = await must('GET', '/ledger/verify', token);
    if (!verify.ok) totals.failures.push(`verify: ${JSON.stringify(verify.checks.filter((c: { ok: boolean }) => !c.ok))}`);
    const answered = ops.filter((o) => o.answer);
    console.log(
      `${engine}: ${ops.length} operations (${totals.requests} requests incl. retries), ${totals.crashes} SIGKILLs, ` +
        `${totals.unanswered} unanswered then retried by key (${totals.replayed} had already happened and were replayed), ` +
        `${lost.length} unkeyed unanswered (${ventas.length - answeredVentas.length} of them had happened), ${answered.filter((o) => o.answer!.status < 300).length} accepted, ` +
        `${answered.filter((o) => o.answer!.status >= 400).length} refused; wallet ${wallet.currentWalletBalance}, Tigo ${cents(tigo)}; ` +
        `webhook: ${firstSeen.length} events in order (${duplicates} sent again after a crash); ` +
        `${totals.failures.length ? 'FAILED' : 'nothing lost, nothing duplicated, verify ok'}`,
    );
    for (const f of totals.failures) console.log(`  ✗ ${f}`);
  } finally {
    if (child && child.exitCode === null) await kill();
    await database.drop();
    receiver.close();
  }
  return totals;
}

console.log(`crash suite, seed ${seed} (CRASH_SEED=${seed} to repeat)`);
const engines = (process.env.CRASH_ENGINES ?? 'postgres,pglite').split(',');
let failed = 0;
let passed = 0;
for (const engine of engines) {
  const t = await runScenario(engine as 'postgres' | 'pglite', engine === 'postgres' ? 600 : 200, engine === 'postgres' ? 6 : 3);
  if (t.failures.length) failed++;
  else passed++;
}
console.log(`crash: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
