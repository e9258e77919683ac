// Graceful shutdown of the real server (issue 18): SIGTERM under a stream of
// keyed top-ups from clients on keep-alive connections. Every request must
// be answered (2xx, 4xx, or 503 SHUTTING_DOWN once the time is up) or
// refused at connect; a request cut off without an answer must not have
// happened (its key, sent again after a restart, is not a replay); the
// process exits 0; the books hold exactly the answered sales and verify.
// With SHUTDOWN_TIMEOUT_MS 10000 (all queued work finishes) and 0 (what
// has not started is refused at once), on PostgreSQL and on PGlite.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { freshDatabase, login, must, startServer, toCents, type RunningServer } from './servers.js';

interface Sent {
  key: string;
  status?: number;
  code?: string;
  error?: string;
}

/** A POST on a keep-alive connection; resolves with the status, or the network error's code. */
function post(agent: http.Agent, base: string, path: string, token: string, body: unknown, key: string): Promise<{ status?: number; code?: string; error?: string }> {
  const data = JSON.stringify(body);
  const u = new URL(path, base);
  return new Promise((resolve) => {
    const req = http.request(
      u,
      { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'idempotency-key': key } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { code?: string }).code;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode, ...(code ? { code } : {}) });
        });
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(data);
  });
}

async function scenario(engine: 'postgres' | 'pglite', timeoutMs: number): Promise<string[]> {
  const failures: string[] = [];
  const db = await freshDatabase(engine);
  let server: RunningServer | undefined;
  try {
    server = await startServer(db.env, { SHUTDOWN_TIMEOUT_MS: String(timeoutMs) });
    const token = await login(server.base);
    const caja = await must(server.base, 'POST', '/cajas', token, { nombre: 'Caja apagado', saldo: 100_000 });
    const session = await must(server.base, 'POST', '/cajas/abrir', token, { id_caja: caja.id });
    await must(server.base, 'POST', '/recargas/inyeccion', token, { operadora_destino: 'Tigo', monto: 50_000, id_caja_sesion: session.id });
    const sale = { operadora: 'Tigo', numero_cliente: '71234567', monto: 1, id_caja_sesion: session.id };

    const sent: Sent[] = [];
    let terminated = 0;
    const base = server.base;
    const worker = async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (;;) {
        const s: Sent = { key: randomUUID() };
        sent.push(s);
        Object.assign(s, await post(agent, base, '/recargas/cliente', token, sale, s.key));
        if (s.error === 'ECONNREFUSED' && terminated) break;
      }
      agent.destroy();
    };
    const workers = Array.from({ length: 24 }, worker);
    await new Promise((r) => setTimeout(r, 1500));
    terminated = Date.now();
    server.child.kill('SIGTERM');
    await Promise.all(workers);
    const exit = await server.exited;
    if (exit.code !== 0) failures.push(`exit code ${exit.code} (signal ${exit.signal})`);
    const tookMs = exit.at - terminated;
    if (tookMs > timeoutMs + 5000) failures.push(`took ${tookMs} ms to exit`);

    const answered = sent.filter((s) => s.status !== undefined);
    const ok = answered.filter((s) => s.status === 201);
    const refusedAtConnect = sent.filter((s) => s.error === 'ECONNREFUSED');
    const shuttingDown = answered.filter((s) => s.status === 503);
    for (const s of shuttingDown) if (s.code !== 'SHUTTING_DOWN') failures.push(`a 503 with code ${s.code}`);
    const other = answered.filter((s) => s.status !== 201 && s.status !== 503);
    if (other.length) failures.push(`unexpected answers: ${[...new Set(other.map((s) => s.status))].join(', ')}`);
    const cut = sent.filter((s) => s.error !== undefined && s.error !== 'ECONNREFUSED');

    // After a restart: a request cut off without an answer must not have
    // happened (sent again with its key it is new, not a replay), and the
    // books hold exactly the answered sales (plus those resent now).
    server = await startServer(db.env);
    const token2 = await login(server.base);
    let resent = 0;
    for (const s of [...cut, ...shuttingDown]) {
      const r = await fetch(`${server.base}/recargas/cliente`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token2}`, 'content-type': 'application/json', 'idempotency-key': s.key },
        body: JSON.stringify(sale),
      });
      await r.text();
      if (r.headers.get('idempotent-replayed') === 'true') failures.push(`request ${s.key} (${s.error ?? s.status}) had happened without an answer`);
      else if (r.status === 201) resent++;
    }
    const history = await must(server.base, 'GET', `/recargas/historial/clientes?id_caja_sesion=${session.id}`, token2);
    if (history.length !== ok.length + resent) failures.push(`${history.length} sales in the books, ${ok.length} answered 201 + ${resent} resent`);
    const saldos: { nombre_operadora: string; saldo_actual: number }[] = await must(server.base, 'GET', '/recargas/operadoras/saldos', token2);
    const tigo = toCents(saldos.find((s) => s.nombre_operadora === 'Tigo')!.saldo_actual);
    if (tigo !== 5_000_000 - 100 * history.length) failures.push(`Tigo ${tigo} cents, expected ${5_000_000 - 100 * history.length}`);
    const verify = await must(server.base, 'GET', '/ledger/verify', token2);
    if (!verify.ok) failures.push('verify failed');
    server.child.kill('SIGTERM');
    const second = await server.exited;
    if (second.code !== 0) failures.push(`second server exit code ${second.code}`);
    server = undefined;

    console.log(
      `${engine}, SHUTDOWN_TIMEOUT_MS=${timeoutMs}: ${sent.length} requests; ${ok.length} answered 201, ${shuttingDown.length} answered 503 SHUTTING_DOWN, ` +
        `${refusedAtConnect.length} refused at connect, ${cut.length} cut without an answer${cut.length ? ` (${[...new Set(cut.map((s) => s.error))].join(', ')}; none had happened)` : ''}; exit 0 after ${tookMs} ms; ` +
        `${history.length} sales in the books; verify ${verify.ok ? 'ok' : 'FAILED'}${failures.length ? `; FAILURES: ${failures.join('; ')}` : ''}`,
    );
  } finally {
    if (server) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await db.drop();
  }
  return failures;
}

let failed = 0;
for (const engine of (process.env.OPS_ENGINES ?? 'postgres,pglite').split(',') as Array<'postgres' | 'pglite'>) {
  for (const timeoutMs of [10_000, 0]) {
    const failures = await scenario(engine, timeoutMs);
    if (failures.length) failed++;
  }
}
console.log(`shutdown: ${failed ? `${failed} scenario(s) failed` : 'all passed'}`);
process.exitCode = failed ? 1 : 0;
