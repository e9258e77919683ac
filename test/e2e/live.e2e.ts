import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN, apiPost, base, browserProblems, expectText, login, logoutUi, page, shot } from './harness.js';

// Live updates in the console (issue 17): a screen follows money moved
// elsewhere without being reloaded. The screens poll only once a minute
// while their socket is up, so a change shown within seconds came over it.

const CASHIER = { email: 'lucia@vivo.test', password: 'cajera-lucia-1', nombres: 'Lucía Vargas' };
let cashierToken = '';
let sessionId = 0;
let driverId = '';
let pointId = '';
let cashierId = '';

async function tokenOf(u: { email: string; password: string }): Promise<string> {
  const res = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(u) });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Marks the page, to tell later that it was not reloaded. */
const mark = () => page.evaluate(() => ((globalThis as unknown as { liveMark: number }).liveMark = 42));
const stillMarked = async () => page.evaluate(() => (globalThis as unknown as { liveMark?: number }).liveMark === 42);

test('setup: a cashier with an open caja, a driver and a collection point', async () => {
  const caja = await apiPost<{ id: number }>('/cajas', { nombre: 'Caja Viva', saldo: 1000 });
  cashierId = (await apiPost<{ id: string }>('/usuario', { ...CASHIER, role: 'Operador' })).id;
  cashierToken = await tokenOf(CASHIER);
  sessionId = (await apiPost<{ id: number }>('/cajas/abrir', { id_caja: caja.id }, cashierToken)).id;
  const admin = await apiPost<{ id: number }>('/cajas', { nombre: 'Caja Central Viva', saldo: 5000 });
  const s = await apiPost<{ id: number }>('/cajas/abrir', { id_caja: admin.id });
  await apiPost('/recargas/inyeccion', { operadora_destino: 'Viva', monto: 200, id_caja_sesion: s.id });
  driverId = (await apiPost<{ data: { id: string } }>('/drivers', { nombre: 'Jhonny Live Mamani' })).data.id;
  pointId = (await apiPost<{ data: { id: string } }>('/cash-collection-points', { name: 'Punto En Vivo' })).data.id;
});

test('the caja header follows a movement and a sale made at another terminal, without reloading', async () => {
  await login(CASHIER.email, CASHIER.password);
  await expectText(page.locator('h1'), `Sesión n.º ${sessionId}`);
  await expectText(page.locator('main'), 'En vivo');
  await expectText(page.getByTestId('efectivo'), 'Bs 1.000,00');
  await mark();
  await apiPost('/cajas/movimiento', { tipo: 'INGRESO', monto: 250.5, motivo: 'Cambio traído de la otra caja', id_sesion_caja: sessionId }, cashierToken);
  await expectText(page.getByTestId('efectivo'), 'Bs 1.250,50', 4000);
  await expectText(page.locator('main'), 'Cambio traído de la otra caja', 4000);
  await apiPost('/recargas/cliente', { operadora: 'Viva', numero_cliente: '60012345', monto: 30, id_caja_sesion: sessionId }, cashierToken);
  await expectText(page.getByTestId('efectivo'), 'Bs 1.280,50', 4000);
  await expectText(page.getByTestId('saldo-Viva'), 'Bs 170,00', 4000);
  assert.ok(await stillMarked(), 'the page was not reloaded');
  await shot('19-live-caja');
  await logoutUi();
});

test('the supervisor\'s queue shows cash recorded at a point as it happens, and drops it once confirmed elsewhere', async () => {
  await login(ADMIN.email, ADMIN.password);
  await page.getByRole('navigation', { name: 'Menú principal' }).getByRole('link', { name: 'Efectivo recibido' }).click();
  await expectText(page.locator('h1'), 'Efectivo recibido');
  await mark();
  const recorded = await apiPost<{ data: { cashCollectionRecordId: string } }>(
    `/drivers-balance/${driverId}/topups`,
    { collectionPointId: pointId, collectedByUserId: cashierId, amount: '45.00', notes: 'Dos de 20 y uno de 5' },
    await tokenOf(CASHIER), // logging out in the browser ended her earlier logins
  );
  const row = page.getByRole('row', { name: /Jhonny Live Mamani/ });
  await expectText(row, 'Dos de 20 y uno de 5', 4000);
  await apiPost(`/drivers-balance/topups/${recorded.data.cashCollectionRecordId}/confirm`, { comment: 'Visto en la otra pantalla' });
  await row.waitFor({ state: 'detached', timeout: 4000 });
  assert.ok(await stillMarked(), 'the page was not reloaded');
  await logoutUi();
});

test('no errors in the browser console', () => {
  assert.deepEqual(browserProblems, []);
});
