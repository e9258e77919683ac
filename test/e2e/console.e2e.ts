import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN, apiGet, apiPost, base, browserProblems, confirmDialog, dialog, expectText, login, logoutUi, page, shot, SHOTS } from './harness.js';


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

// ---- (b) wallet back office

test('wallet: driver and point, cash top-up, confirm from the queue, wallet view, block', async () => {
  await login(ADMIN.email, ADMIN.password);
  // A collection point and a driver, through the UI.
  await page.getByRole('link', { name: 'Puntos de cobro' }).click();
  const pf = page.getByRole('form', { name: 'Nuevo punto de cobro' });
  await pf.getByLabel('Nombre del punto').fill('Terminal Norte');
  await pf.getByLabel('Dirección').fill('Av. Banzer 123');
  await pf.getByRole('button', { name: 'Crear punto' }).click();
  await expectText(page.locator('table'), 'Terminal Norte');

  await page.getByRole('link', { name: 'Conductores' }).click();
  const df = page.getByRole('form', { name: 'Nuevo conductor' });
  await df.getByLabel('Nombre del conductor').fill('Juan Pérez');
  await df.getByLabel('Teléfono').fill('70123456');
  await df.getByLabel('Correo (para ingresar)').fill('juan@consola.test');
  await df.getByLabel('Contraseña').fill('conductor-123');
  await df.getByRole('button', { name: 'Crear conductor' }).click();
  await expectText(page.locator('table'), 'Juan Pérez');
  const drivers = await apiGet<{ data: { id: string; nombre: string; walletId: string }[] }>('/drivers');
  const driver = drivers.data.find((d) => d.nombre === 'Juan Pérez')!;
  assert.ok(driver);

  // Record a cash top-up of 150.00 at the point.
  await page.getByRole('row', { name: /Juan Pérez/ }).getByRole('link', { name: 'Registrar recarga' }).click();
  const tf = page.getByRole('form', { name: 'Registrar recarga en efectivo' });
  await expectText(tf, 'Saldo 0.00 CUP');
  await tf.getByLabel('Punto de cobro').selectOption({ label: 'Terminal Norte' });
  await tf.getByLabel(/Monto recibido/).fill('150');
  await tf.getByLabel('Notas').fill('Entrega semanal');
  await tf.getByRole('button', { name: 'Registrar recarga' }).click();
  await confirmDialog('150.00 CUP', /Registrar 150.00/);
  await expectText(page.getByRole('status'), 'pendiente de confirmación');
  const row = page.getByRole('row', { name: /Juan Pérez/ });
  await expectText(row, '150.00 CUP');
  await expectText(row, 'Pendiente');
  await shot('06-pending-topups');

  let bal = await apiGet<{ data: { currentWalletBalance: string; pendingTopupsAmount: string } }>(`/drivers-balance/${driver.id}`);
  assert.equal(bal.data.currentWalletBalance, '0.00');
  assert.equal(bal.data.pendingTopupsAmount, '150.00');

  // Confirm it from the pending queue, with a comment.
  await row.getByRole('button', { name: 'Confirmar' }).click();
  await expectText(dialog(), '150.00 CUP');
  await dialog().getByLabel('Comentario (opcional)').fill('Contado y conforme');
  await dialog().getByRole('button', { name: /Confirmar 150.00/ }).click();
  await expectText(page.getByRole('status'), 'Saldo 0.00 → 150.00');
  await expectText(page.locator('main'), 'Nada por aquí.');

  // The driver's wallet: balance and the movement.
  await page.goto(`${base}/#/wallets/conductor/${driver.id}`);
  await expectText(page.getByTestId('wallet-balance'), '150.00');
  await expectText(page.getByTestId('wallet-pending'), '0.00');
  const mrow = page.getByRole('row', { name: /Recarga en efectivo/ });
  await expectText(mrow, '+150.00');
  await expectText(mrow, 'Entrega semanal');

  // Block it, with a reason; the history shows it.
  await page.getByRole('button', { name: 'Bloquear billetera' }).click();
  await dialog().getByLabel('Motivo').fill('Documentos vencidos');
  await dialog().getByLabel('Comentario').fill('Hasta renovar licencia');
  await dialog().getByRole('button', { name: 'Bloquear' }).click();
  await expectText(page.getByTestId('wallet-status'), 'Bloqueada');
  await expectText(page.getByRole('row', { name: /Documentos vencidos/ }), 'Hasta renovar licencia');
  await page.getByRole('button', { name: 'Desbloquear billetera' }).waitFor();
  await shot('07-driver-wallet', { fullPage: true });

  // What the API now says.
  bal = await apiGet(`/drivers-balance/${driver.id}`);
  assert.equal(bal.data.currentWalletBalance, '150.00');
  assert.equal(bal.data.pendingTopupsAmount, '0.00');
  assert.equal((bal.data as unknown as { status: string }).status, 'blocked');
  const movs = await apiGet<{ data: { amount: string; type: string; note: string }[]; meta: { total: number } }>(`/drivers-balance/${driver.walletId}/movements`);
  assert.equal(movs.meta.total, 1);
  assert.deepEqual([movs.data[0]!.type, movs.data[0]!.amount, movs.data[0]!.note], ['cash_topup', '150.00', 'Entrega semanal']);
  const topups = await apiGet<{ data: { status: string; comment: string | null }[] }>(`/drivers-balance/topups?driverId=${driver.id}`);
  assert.deepEqual(topups.data.map((t) => [t.status, t.comment]), [['completed', 'Contado y conforme']]);
  const hist = await apiGet<{ data: { status: string; reason: string; comment: string }[] }>(`/wallets-status/${driver.id}/history`);
  assert.deepEqual(hist.data.map((h) => [h.status, h.reason, h.comment]), [['blocked', 'Documentos vencidos', 'Hasta renovar licencia']]);

  if (SHOTS) {
    // The same console on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/#/wallets/recargas`);
    await expectText(page.locator('h1'), /efectivo/i);
    await shot('08-phone-topups', { fullPage: true });
    await page.setViewportSize({ width: 1366, height: 768 });
  }
});

test('roles: an Operador sees the cashier screens; a Conductor only their own wallet', async () => {
  await apiPost('/usuario', { email: 'cajera@consola.test', password: 'cajera-123', nombres: 'Ana Cajera', role: 'Operador' });
  // Logging out revokes the administrator's sessions (the API token too): nothing below uses it.
  await logoutUi();
  await page.getByLabel('Correo electrónico').fill('cajera@consola.test');
  await page.getByLabel('Contraseña').fill('cajera-123');
  await page.getByRole('button', { name: 'Ingresar' }).click();
  await expectText(page.locator('main'), 'Abrir caja');
  const opMenu = await page.getByRole('navigation', { name: 'Menú principal' }).getByRole('link').allTextContents();
  assert.deepEqual(opMenu, ['Mi caja', 'Historial de ventas', 'Efectivo recibido', 'Conductores', 'Puntos de cobro']);
  await page.getByRole('link', { name: 'Efectivo recibido' }).click();
  await expectText(page.locator('main'), 'Registrar recarga en efectivo');
  assert.equal(await page.getByLabel('Cobrado por').count(), 0, 'an Operador collects in their own name');
  await logoutUi();

  await page.getByLabel('Correo electrónico').fill('juan@consola.test');
  await page.getByLabel('Contraseña').fill('conductor-123');
  await page.getByRole('button', { name: 'Ingresar' }).click();
  await expectText(page.locator('h1'), 'Mi billetera');
  await expectText(page.getByTestId('wallet-balance'), '150.00');
  await expectText(page.getByTestId('wallet-status'), 'Bloqueada');
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
