import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN, apiPost, base, browserProblems, expectText, login, logoutUi, page } from './harness.js';


test('static console: / and assets are public, unknown API paths still 404 as JSON', async () => {
  const index = await fetch(`${base}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type') ?? '', /text\/html/);
  const html = await index.text();
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(asset);
  assert.equal((await fetch(`${base}${asset}`)).status, 200);
  const missing = await fetch(`${base}/cajas/nope/nope`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { statusCode: number }).statusCode, 404);
  assert.equal((await fetch(`${base}/auth/me`)).status, 401);
});

test('roles: an Operador sees the cashier screens; a Conductor only their own wallet', async () => {
  await apiPost('/usuario', { email: 'cajera@consola.test', password: 'cajera-123', nombres: 'Ana Cajera', role: 'Operador' });
  await apiPost('/drivers', { nombre: 'Juan Pérez', email: 'juan@consola.test', password: 'conductor-123' });
  await login(ADMIN.email, ADMIN.password);
  // Logging out revokes the administrator's sessions (the API token too): nothing below uses it.
  await logoutUi();
  await page.getByLabel('Correo electrónico').fill('cajera@consola.test');
  await page.getByLabel('Contraseña').fill('cajera-123');
  await page.getByRole('button', { name: 'Ingresar' }).click();
  await expectText(page.locator('main'), 'Abrir caja');
  const opMenu = await page.getByRole('navigation', { name: 'Menú principal' }).getByRole('link').allTextContents();
  assert.deepEqual(opMenu, ['Mi caja', 'Historial de ventas', 'Efectivo recibido', 'Conductores', 'Puntos de cobro']);
  await page.getByRole('link', { name: 'Efectivo recibido' }).click();
  await expectText(page.locator('main'), 'No atiende ningún punto de cobro activo');
  assert.equal(await page.getByLabel('Cobrado por').count(), 0, 'an Operador collects in their own name');
  await logoutUi();

  await page.getByLabel('Correo electrónico').fill('juan@consola.test');
  await page.getByLabel('Contraseña').fill('conductor-123');
  await page.getByRole('button', { name: 'Ingresar' }).click();
  await expectText(page.locator('h1'), 'Mi billetera');
  await expectText(page.getByTestId('wallet-balance'), 'CUP 0,00');
  await expectText(page.getByTestId('wallet-status'), 'Activa');
  const menu = await page.getByRole('navigation', { name: 'Menú principal' }).getByRole('link').allTextContents();
  assert.deepEqual(menu, ['Mi billetera']);
  assert.equal(await page.getByRole('button', { name: /Bloquear|Desbloquear/ }).count(), 0);
  // A page for another role sends the Conductor home.
  await page.goto(`${base}/#/cajas`);
  await expectText(page.locator('h1'), 'Mi billetera');
});

test('no errors in the browser console', () => {
  assert.deepEqual(browserProblems, []);
});
