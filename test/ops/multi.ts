// Two built servers on one PostgreSQL database, sharing JWT_SECRET, with the
// requests of every scenario spread across both (issue 18): they must behave
// as one service. A hot float, sales racing a close, one Idempotency-Key sent
// to both at once, confirmations racing, the login throttle counted across
// both, and a logout on one seen by the other within 2 s.
import { randomBytes, randomUUID } from 'node:crypto';
import { call, freshDatabase, login, must, startServer, toCents, type RunningServer } from './servers.js';

const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};
const count = <T>(xs: T[], f: (x: T) => boolean) => xs.filter(f).length;
/** "201 × 100, 409 INSUFFICIENT_FLOAT × 200" */
const tally = (answers: Array<{ status: number; body: { code?: string } | null }>) => {
  const by = new Map<string, number>();
  for (const a of answers) {
    const k = `${a.status}${a.body?.code ? ` ${a.body.code}` : ''}`;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  return [...by].map(([k, n]) => `${k} × ${n}`).join(', ');
};

const db = await freshDatabase('postgres');
const shared = { ...db.env, JWT_SECRET: randomBytes(32).toString('hex') };
let servers: RunningServer[] = [];
try {
  servers = [await startServer(shared), await startServer(shared)];
  const [A, B] = servers.map((s) => s.base) as [string, string];
  const on = (i: number) => (i % 2 === 0 ? A : B);
  const token = await login(A);

  // ---- a hot float: 300 sales of 1.00 against 100.00, half on each process
  {
    const caja = await must(A, 'POST', '/cajas', token, { nombre: 'Caja multi', saldo: 10_000 });
    const session = await must(B, 'POST', '/cajas/abrir', token, { id_caja: caja.id });
    await must(A, 'POST', '/recargas/inyeccion', token, { operadora_destino: 'Viva', monto: 100, id_caja_sesion: session.id });
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => call(on(i), 'POST', '/recargas/cliente', token, { operadora: 'Viva', numero_cliente: '61234567', monto: 1, id_caja_sesion: session.id })),
    );
    const sold = count(answers, (a) => a.status === 201);
    const refused = count(answers, (a) => a.status === 409 && a.body.code === 'OPERATOR_INSUFFICIENT_BALANCE');
    const saldos: { nombre_operadora: string; saldo_actual: number }[] = await must(B, 'GET', '/recargas/operadoras/saldos', token);
    const viva = toCents(saldos.find((s) => s.nombre_operadora === 'Viva')!.saldo_actual);
    check(sold === 100 && refused === 200 && viva === 0, `hot float: ${sold} sold, ${refused} refused, Viva ${viva} cents`);
    console.log(`hot float: 300 sales of 1.00 on 100.00 across two processes → ${tally(answers)}; Viva ${viva / 100}`);
    await must(A, 'PATCH', `/cajas/sesion/${session.id}/cerrar`, token, { monto_final_real: 10_000 });
  }

  // ---- sales racing a close made on the other process
  {
    const funding = await must(A, 'POST', '/cajas/abrir', token, { id_caja: (await must(A, 'POST', '/cajas', token, { nombre: 'Caja inyección', saldo: 5000 })).id });
    await must(B, 'POST', '/recargas/inyeccion', token, { operadora_destino: 'Tigo', monto: 1000, id_caja_sesion: funding.id });
    await must(A, 'PATCH', `/cajas/sesion/${funding.id}/cerrar`, token, { monto_final_real: 4000 });
    const cashier = { email: `cajero-${randomUUID()}@multi.test`, password: 'cajero-multi-1' };
    await must(A, 'POST', '/usuario', token, { ...cashier, nombres: 'Cajero Multi', role: 'Operador' });
    const cashierToken = await login(B, cashier);
    const caja = await must(A, 'POST', '/cajas', token, { nombre: 'Caja carrera', saldo: 500 });
    const session = await must(B, 'POST', '/cajas/abrir', cashierToken, { id_caja: caja.id });
    const sales = Array.from({ length: 200 }, (_, i) =>
      call(on(i), 'POST', '/recargas/cliente', cashierToken, { operadora: 'Tigo', numero_cliente: '71234567', monto: 1, id_caja_sesion: session.id }),
    );
    await new Promise((r) => setTimeout(r, 20));
    const close = call(A, 'PATCH', `/cajas/sesion/${session.id}/cerrar`, cashierToken, { monto_final_real: 600 });
    const answers = await Promise.all(sales);
    const closed = await close;
    const sold = count(answers, (a) => a.status === 201);
    const late = count(answers, (a) => a.status === 409 && a.body.code === 'SESSION_CLOSED');
    const s = await must(B, 'GET', `/cajas/sesion/${session.id}`, token);
    const history = await must(A, 'GET', `/recargas/historial/clientes?id_caja_sesion=${session.id}`, token);
    check(closed.status === 200, `close: ${closed.status}`);
    check(sold + late === 200, `close race: ${sold} sold + ${late} refused ≠ 200`);
    check(history.length === sold, `close race: ${history.length} sales in the books, ${sold} answered 201`);
    check(toCents(s.monto_final_teorico) === 50_000 + 100 * sold, `close race: teórico ${s.monto_final_teorico} with ${sold} sales`);
    console.log(`close racing sales: ${tally(answers)}; the closed session's teórico ${s.monto_final_teorico} = 500 + ${sold}`);
  }

  // ---- one Idempotency-Key sent to both processes at once
  {
    const caja = await must(A, 'POST', '/cajas', token, { nombre: 'Caja llaves', saldo: 1000 });
    const session = await must(B, 'POST', '/cajas/abrir', token, { id_caja: caja.id });
    const keys = Array.from({ length: 30 }, () => randomUUID());
    let replays = 0;
    let inFlight = 0;
    for (const key of keys) {
      const body = { tipo: 'INGRESO', monto: 1, motivo: `llave ${key.slice(0, 8)}`, id_sesion_caja: session.id };
      const pair = await Promise.all([A, B].map((b) => call(b, 'POST', '/cajas/movimiento', token, body, { 'idempotency-key': key })));
      for (const [i, a] of pair.entries()) {
        if (a.status === 409 && a.body.code === 'IDEMPOTENCY_REQUEST_IN_FLIGHT') {
          inFlight++;
          // The client retries with the same key once the twin has answered.
          pair[i] = await call([A, B][i]!, 'POST', '/cajas/movimiento', token, body, { 'idempotency-key': key });
        }
      }
      replays += count(pair, (a) => a.headers.get('idempotent-replayed') === 'true');
      check(pair.every((a) => a.status === 201) && pair[0]!.body.id === pair[1]!.body.id, `key ${key}: ${pair.map((a) => a.status)} ids ${pair.map((a) => a.body?.id)}`);
    }
    const movements: { motivo: string }[] = await must(A, 'GET', `/cajas/sesion/${session.id}/movimientos`, token);
    const written = count(movements, (m) => m.motivo.startsWith('llave '));
    check(written === keys.length, `same key on both: ${written} movements for ${keys.length} keys`);
    console.log(`same Idempotency-Key on both processes at once, ${keys.length} keys: ${written} movements written; the twins: ${replays} replays, ${inFlight} told "in flight" and replayed on retry`);
  }

  // ---- confirmations racing on both processes
  {
    const driver = (await must(A, 'POST', '/drivers', token, { nombre: 'Conductor Multi' })).data;
    const point = (await must(B, 'POST', '/cash-collection-points', token, { name: 'Punto multi' })).data;
    const me = await must(A, 'GET', '/auth/me', token);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const t = await must(on(i), 'POST', `/drivers-balance/${driver.id}/topups`, token, { collectionPointId: point.id, collectedByUserId: me.id, amount: '10.00' });
      ids.push(t.data.cashCollectionRecordId);
    }
    const answers = await Promise.all(ids.flatMap((id) => [A, B].map((b) => call(b, 'POST', `/drivers-balance/topups/${id}/confirm`, token, {}))));
    const confirmed = count(answers, (a) => a.status === 200 || a.status === 201);
    const refused = count(answers, (a) => a.status === 409);
    const balance = (await must(B, 'GET', `/drivers-balance/${driver.id}`, token)).data;
    check(confirmed === 20 && refused === 20 && toCents(balance.currentWalletBalance) === 20_000, `confirm race: ${confirmed} confirmed, ${refused} refused, balance ${balance.currentWalletBalance}`);
    console.log(`confirm races: 20 top-ups confirmed on both processes at once → ${tally(answers)}; wallet ${balance.currentWalletBalance}`);
  }

  // ---- the login throttle counts across both
  {
    const victim = { email: `throttle-${randomUUID()}@multi.test`, password: 'throttle-pass-1' };
    await must(A, 'POST', '/usuario', token, { ...victim, nombres: 'Throttle', role: 'Usuario' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await call(on(i), 'POST', '/auth/login', undefined, { email: victim.email, password: 'wrong-password' })).status);
    const next = await call(B, 'POST', '/auth/login', undefined, victim);
    check(statuses.every((s) => s === 401) && next.status === 429, `throttle: ${statuses.join(',')} then ${next.status}`);
    console.log(`login throttle: 10 failures alternating processes (${statuses.filter((s) => s === 401).length} × 401), then the right password on the other → ${next.status}`);
  }

  // ---- a logout on one process is seen by the other within 2 s
  {
    // Logging out ends every login of that user: someone else than the administrator.
    const leaver = { email: `logout-${randomUUID()}@multi.test`, password: 'logout-pass-1' };
    await must(A, 'POST', '/usuario', token, { ...leaver, nombres: 'Se va', role: 'Usuario' });
    const t = await login(A, leaver);
    check((await call(B, 'GET', '/auth/me', t)).status === 200, 'the token works on B');
    const t0 = Date.now();
    await must(A, 'POST', '/auth/logout', t);
    let refusedAfter = -1;
    while (Date.now() - t0 < 5000) {
      if ((await call(B, 'GET', '/auth/me', t)).status === 401) {
        refusedAfter = Date.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    check(refusedAfter >= 0 && refusedAfter <= 2000, `logout seen by B after ${refusedAfter} ms`);
    console.log(`logout on A: B refuses the token after ${refusedAfter} ms`);
  }

  const verify = await must(B, 'GET', '/ledger/verify', token);
  check(verify.ok, 'verify');
  console.log(`ledger verify: ${verify.ok ? 'ok' : 'FAILED'}`);
} finally {
  for (const s of servers) {
    s.child.kill('SIGTERM');
    const exit = await s.exited;
    if (exit.code !== 0) failures.push(`a server exited with ${exit.code}`);
  }
  await db.drop();
}
console.log(failures.length ? `multi-process: FAILED\n  ${failures.join('\n  ')}` : 'multi-process: all passed');
process.exitCode = failures.length ? 1 : 0;
