import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { bearer, buildTestApp } from './helper.js';

// The authorization matrix (API.md §0–§4), written from the contract, not
// from the code: every registered route × every kind of caller. A route added
// without an entry here fails the test.

type P = 'A' | 'O' | 'U' | 'C';
const ALL: P[] = ['A', 'O', 'U', 'C'];
const STAFF: P[] = ['A', 'O', 'U'];
const CASHIER: P[] = ['A', 'O'];
const ADMIN: P[] = ['A'];

// 'own' = a Conductor may call it for their own wallet only (403 otherwise, even when it does not exist).
const matrix: Record<string, { roles: P[] | 'public'; conductorOwn?: boolean }> = {
  'GET /health': { roles: 'public' },
  'GET /ready': { roles: 'public' },
  'POST /auth/login': { roles: 'public' },
  'POST /auth/refresh_token': { roles: 'public' },
  'POST /auth/logout': { roles: ALL },
  'GET /auth/me': { roles: ALL },
  'GET /auth/roles/list': { roles: ADMIN },
  'POST /usuario/register': { roles: ADMIN },
  'GET /config/public': { roles: 'public' },
  'GET /reportes/data/movimientos-caja/:idSesion': { roles: STAFF },
  'GET /reportes/data/caja-historial/:id': { roles: STAFF },
  'GET /reportes/dashboard-stats': { roles: STAFF },
  'GET /reportes/resumen': { roles: STAFF },
  'POST /usuario': { roles: ADMIN },
  'GET /usuario': { roles: ADMIN },
  'GET /usuario/:id': { roles: ADMIN },
  'PATCH /usuario/:id': { roles: ADMIN },
  'GET /ledger/verify': { roles: ADMIN },
  'POST /cajas': { roles: ADMIN },
  'GET /cajas': { roles: STAFF },
  'GET /cajas/:id': { roles: STAFF },
  'PATCH /cajas/:id': { roles: ADMIN },
  'DELETE /cajas/:id': { roles: ADMIN },
  'POST /cajas/abrir': { roles: CASHIER },
  'POST /cajas/movimiento': { roles: CASHIER },
  'GET /cajas/sesion/:id': { roles: STAFF },
  'GET /cajas/sesion/:id/movimientos': { roles: STAFF },
  'GET /cajas/sesion/:id/balance': { roles: STAFF },
  'GET /cajas/sesion-activa': { roles: STAFF },
  'GET /cajas/sesion-activa/:id_usuario': { roles: STAFF },
  'PATCH /cajas/sesion/:id/cerrar': { roles: CASHIER },
  'POST /recargas/cliente': { roles: CASHIER },
  'POST /recargas/inyeccion': { roles: ADMIN },
  'GET /recargas/operadoras/saldos': { roles: STAFF },
  'GET /recargas/historial/clientes': { roles: STAFF },
  'GET /recargas/historial/inyecciones': { roles: STAFF },
  'PATCH /recargas/operadoras/:id': { roles: ADMIN },
  'POST /recargas/cliente/:id/anular': { roles: ADMIN },
  'GET /recargas/cliente/:id': { roles: STAFF },
  'GET /cajas/:id/sesiones': { roles: STAFF },
  'POST /drivers': { roles: ADMIN },
  'GET /drivers': { roles: STAFF },
  'GET /drivers/:id': { roles: STAFF },
  'POST /cash-collection-points': { roles: ADMIN },
  'GET /cash-collection-points': { roles: STAFF },
  'GET /cash-collection-points/:id': { roles: STAFF },
  'PATCH /cash-collection-points/:id': { roles: ADMIN },
  'POST /drivers-balance/:driverId/topups': { roles: CASHIER },
  'POST /drivers-balance/topups/:ccrId/confirm': { roles: ADMIN },
  'POST /drivers-balance/topups/:ccrId/cancel': { roles: ADMIN },
  'GET /drivers-balance/topups': { roles: STAFF },
  'GET /drivers-balance/topups/:ccrId': { roles: STAFF },
  'GET /drivers-balance/me': { roles: ['C'] },
  'GET /drivers-balance/:driverId': { roles: STAFF, conductorOwn: true },
  'GET /drivers-balance/:walletId/movements': { roles: STAFF, conductorOwn: true },
  'POST /drivers-balance/:driverId/debits': { roles: ADMIN },
  'POST /wallets-status/:driverId/block': { roles: ADMIN },
  'POST /wallets-status/:driverId/unblock': { roles: ADMIN },
  'GET /wallets-status/:driverId/history': { roles: STAFF },
  'POST /webhooks': { roles: ADMIN },
  'GET /webhooks': { roles: ADMIN },
  'DELETE /webhooks/:id': { roles: ADMIN },
  'GET /webhooks/:id/deliveries': { roles: ADMIN },
};

test('authorization matrix: every route × every caller', async () => {
  const ctx = await buildTestApp();
  const { app, adminToken } = ctx;
  const op = await ctx.user('Operador');
  const us = await ctx.user('Usuario');

  // Two drivers with logins: a Conductor reads only their own wallet.
  const mkDriver = async (n: number) => {
    const r = await app.inject({
      method: 'POST',
      url: '/drivers',
      headers: bearer(adminToken),
      payload: { nombre: `Driver ${n}`, email: `driver${n}@test.local`, password: 'driver-password' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: `driver${n}@test.local`, password: 'driver-password' } });
    return { ...r.json().data, token: login.json().access_token as string };
  };
  const d1 = await mkDriver(1);
  const d2 = await mkDriver(2);

  const claims = JSON.parse(Buffer.from(adminToken.split('.')[1]!, 'base64url').toString());
  const expired = await new SignJWT({ sid: claims.sid })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
    .sign(new TextEncoder().encode('test-secret-test-secret-test-secret-123'));

  // The matrix ends with logout, which revokes each caller's tokens: use
  // callers of its own, and keep the bootstrap admin for the rest.
  const tokens: Record<P, string> = { A: (await ctx.user('Administrador')).token, O: (await ctx.user('Operador')).token, U: us.token, C: d1.token };
  const routes = app.routeTable.filter((r) => !r.url.startsWith('/docs'));
  const missing = routes.map((r) => `${r.method} ${r.url}`).filter((k) => !(k in matrix));
  assert.deepEqual(missing, [], 'routes without an entry in the authorization matrix');
  const stale = Object.keys(matrix).filter((k) => !routes.some((r) => `${r.method} ${r.url}` === k));
  assert.deepEqual(stale, [], 'matrix entries for routes that do not exist');

  // Fill path parameters with well-formed ids of things that may not exist.
  const fill = (url: string, own?: boolean) =>
    url
      .replace(':driverId', own ? d1.id : d2.id)
      .replace(':walletId', own ? d1.walletId : d2.walletId)
      .replace(/:(ccrId|id_usuario)/, randomUUID())
      .replace(':id', (m, offset: number, s: string) => (s.startsWith('/usuario') ? randomUUID() : '999999'));

  let checked = 0;
  // Logout last: it revokes the caller's token.
  const ordered = [...routes].sort((a, b) => Number(a.url === '/auth/logout') - Number(b.url === '/auth/logout'));
  for (const route of ordered) {
    const key = `${route.method} ${route.url}`;
    const entry = matrix[key]!;
    const send = (token: string | undefined, own?: boolean) =>
      app.inject({
        method: route.method as 'GET',
        url: fill(route.url, own),
        headers: token ? bearer(token) : {},
        ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
      });
    if (entry.roles === 'public') {
      // The refresh route takes a refresh token instead (test/auth.test.ts).
      if (route.url !== '/auth/refresh_token') assert.notEqual((await send(undefined)).statusCode, 401, key);
      checked++;
      continue;
    }
    assert.equal((await send(undefined)).statusCode, 401, `${key} without a token`);
    assert.equal((await send(expired)).statusCode, 401, `${key} with an expired token`);
    checked += 2;
    for (const p of ALL) {
      const res = await send(tokens[p]);
      const allowed = entry.roles.includes(p);
      if (p === 'C' && entry.conductorOwn) {
        assert.equal(res.statusCode, 403, `${key} as a Conductor on another driver's wallet`);
        const own = await send(tokens.C, true);
        assert.ok(![401, 403].includes(own.statusCode), `${key} as a Conductor on their own wallet → ${own.statusCode} ${own.body}`);
        checked += 2;
        continue;
      }
      if (allowed) assert.ok(![401, 403].includes(res.statusCode), `${key} as ${p} → ${res.statusCode} ${res.body}`);
      else assert.equal(res.statusCode, 403, `${key} as ${p} → ${res.statusCode} ${res.body}`);
      checked++;
    }
  }

  // Ownership: an Operador on another cashier's session.
  const caja = (await app.inject({ method: 'POST', url: '/cajas', headers: bearer(adminToken), payload: { nombre: 'Caja matriz', saldo: 100 } })).json();
  const otherOp = await ctx.user('Operador');
  const ses = await app.inject({ method: 'POST', url: '/cajas/abrir', headers: bearer(otherOp.token), payload: { id_caja: caja.id } });
  assert.equal(ses.statusCode, 201, ses.body);
  const sid = ses.json().id;
  const foreign = [
    app.inject({ method: 'POST', url: '/cajas/movimiento', headers: bearer(op.token), payload: { tipo: 'INGRESO', monto: 5, motivo: 'x', id_sesion_caja: sid } }),
    app.inject({ method: 'POST', url: '/recargas/cliente', headers: bearer(op.token), payload: { operadora: 'Tigo', numero_cliente: '78945612', monto: 5, id_caja_sesion: sid } }),
    app.inject({ method: 'PATCH', url: `/cajas/sesion/${sid}/cerrar`, headers: bearer(op.token), payload: { monto_final_real: 100 } }),
    app.inject({ url: `/cajas/sesion-activa/${otherOp.id}`, headers: bearer(op.token) }),
  ];
  for (const res of await Promise.all(foreign)) assert.equal(res.statusCode, 403, res.body);
  checked += foreign.length;
  // The Administrador may act on anyone's session; the owner on their own.
  assert.equal((await app.inject({ url: `/cajas/sesion-activa/${otherOp.id}`, headers: bearer(adminToken) })).statusCode, 200);
  assert.equal((await app.inject({ url: `/cajas/sesion-activa/${otherOp.id}`, headers: bearer(otherOp.token) })).statusCode, 200);
  // An Operador may only name themselves as the collector of a cash top-up.
  const point = (await app.inject({ method: 'POST', url: '/cash-collection-points', headers: bearer(adminToken), payload: { name: 'P' } })).json().data;
  const asOther = await app.inject({
    method: 'POST',
    url: `/drivers-balance/${d1.id}/topups`,
    headers: bearer(op.token),
    payload: { collectionPointId: point.id, collectedByUserId: otherOp.id, amount: '10.00' },
  });
  assert.equal(asOther.statusCode, 403, asOther.body);
  checked += 3;
  console.log(`# authorization cases checked: ${checked} over ${routes.length} routes`);
});
