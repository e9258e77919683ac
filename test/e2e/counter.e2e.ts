import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ADMIN, adminToken, apiGet, apiPost, base, browserProblems, dialog, expectFocused, expectText, focused, login, logoutUi, page, shot } from './harness.js';

// The console at a real counter (issue 14): a cashier selling with the
// keyboard, cancelling, a lost reply resolved without a double sale, errors in
// plain Spanish, amounts as "Bs 1.234,50", closing with a count, the shift
// report, the ticket, the sessions list, the day dashboard, history search,
// voiding a sale, the CSV, the offline banner and a phone-width screen.

const CASHIER = { email: 'cajera@counter.test', password: 'cajera-123', nombres: 'Rosa Mamani' };
let sessionId = 0;

interface Sale {
  id: number;
  numero_cliente: string;
  monto: number;
  operadora: string;
  estado: string;
}
const sales = () => apiGet<Sale[]>(`/recargas/historial/clientes?id_caja_sesion=${sessionId}`);
const sellForm = () => page.getByRole('form', { name: 'Vender recarga' });

/** Types a number and an amount, Enter to open the confirmation. */
async function startSale(numero: string, monto: string) {
  const form = sellForm();
  await form.getByLabel('Número de teléfono').fill(numero);
  await form.getByLabel('Número de teléfono').press('Enter');
  await expectFocused(form.getByLabel('Monto', { exact: true }), 'Enter on the number goes to the amount');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(monto);
  await page.keyboard.press('Enter');
  await dialog().waitFor();
}

test('setup: a caja with a big saldo, a cashier, operator floats', async () => {
  await apiPost('/cajas', { nombre: 'Caja Mostrador', saldo: 12345.67 });
  await apiPost('/usuario', { ...CASHIER, role: 'Operador' });
  const admin = await apiPost<{ id: number }>('/cajas', { nombre: 'Caja Administración', saldo: 5000 });
  const s = await apiPost<{ id: number }>('/cajas/abrir', { id_caja: admin.id });
  await apiPost('/recargas/inyeccion', { operadora_destino: 'Tigo', monto: 300, id_caja_sesion: s.id });
  await apiPost('/recargas/inyeccion', { operadora_destino: 'Entel', monto: 40, id_caja_sesion: s.id });
});

test('opening the caja: amounts in Bs with thousands separators; Enter confirms', async () => {
  await login(CASHIER.email, CASHIER.password);
  await expectText(page.locator('main'), 'Abrir caja');
  await expectText(page.getByLabel('Caja', { exact: true }), 'Bs 12.345,67');
  await page.getByLabel('Caja', { exact: true }).selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Abrir caja' }).click();
  await expectText(dialog(), 'Bs 12.345,67');
  assert.match((await focused()).text, /Abrir caja/, 'the confirmation opens on its confirm button');
  await page.keyboard.press('Enter');
  const heading = await expectText(page.locator('h1'), /Sesión n\.º \d+/);
  sessionId = Number(/n\.º (\d+)/.exec(heading)![1]);
  await expectText(page.getByTestId('efectivo'), 'Bs 12.345,67');
  await expectText(page.locator('main'), /hora de La Paz/);
});

test('selling with the keyboard: number, Enter, amount, Enter, Enter sells exactly once; focus back on the number', async () => {
  await startSale('+591 7712 3456', '10,50');
  assert.match((await dialog().textContent()) ?? '', /Bs 10,50/);
  assert.match((await dialog().textContent()) ?? '', /Tigo/, 'the operator guessed from the number');
  assert.match((await dialog().textContent()) ?? '', /771 234 56/);
  assert.match((await focused()).text, /Cobrar Bs 10,50/);
  // Enter twice in a row: the second lands on the form, which is busy or empty.
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await expectText(sellForm().getByRole('status'), 'Recarga Tigo de Bs 10,50 al 771 234 56 registrada');
  await expectFocused(sellForm().getByLabel('Número de teléfono'), 'ready for the next customer');
  assert.deepEqual((await sales()).map((s) => [s.numero_cliente, s.monto, s.operadora]), [['77123456', 10.5, 'Tigo']]);
  await expectText(page.getByTestId('saldo-Tigo'), 'Bs 289,50');
});

test('Escape cancels the sale and says so; nothing is sold', async () => {
  await startSale('77000111', '5');
  await page.keyboard.press('Escape');
  await expectText(sellForm().getByRole('status'), 'Venta cancelada: no se cobró nada.');
  assert.equal((await sales()).length, 1);
});

test('quick amounts, a low-float warning, a refusal in plain Spanish, a number check', async () => {
  // Entel has 40.00; its minimum is set above what a 20.00 sale leaves.
  const entel = (await apiGet<Array<{ id: number; nombre_operadora: string }>>('/recargas/operadoras/saldos')).find((o) => o.nombre_operadora === 'Entel')!;
  const res = await fetch(`${base}/recargas/operadoras/${entel.id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ saldo_minimo: 30 }),
  });
  assert.equal(res.status, 200);
  await page.reload();
  await sellForm().getByLabel('Número de teléfono').fill('71234567');
  await expectText(sellForm().locator('.op-choice.selected'), 'Entel');
  await sellForm().getByRole('button', { name: '20', exact: true }).click();
  await expectText(dialog(), 'Bs 20,00');
  await expectText(dialog(), 'quedará bajo su mínimo');
  await page.keyboard.press('Enter');
  await expectText(sellForm().getByRole('status'), 'Recarga Entel de Bs 20,00');

  // 50.00 more than Entel holds: the warning, then the refusal, in Spanish.
  await sellForm().getByLabel('Número de teléfono').fill('71234567');
  await sellForm().getByRole('button', { name: '50', exact: true }).click();
  await expectText(dialog(), 'esta venta será rechazada');
  await page.keyboard.press('Enter');
  const alert = await expectText(sellForm().getByRole('alert'), 'La operadora no tiene saldo suficiente');
  assert.doesNotMatch(alert, /HTTP|saldo_actual|409|[A-Z]{4,}_/);
  assert.equal(await sellForm().locator('.flash').count(), 0, 'no old success note beside the error');

  // A number that is not a Bolivian mobile.
  await sellForm().getByLabel('Número de teléfono').fill('12345');
  await sellForm().getByLabel('Número de teléfono').press('Enter');
  await expectText(sellForm().locator('.field-error'), 'Un celular de Bolivia tiene 8 dígitos y empieza con 6 o 7.');
  assert.equal((await sales()).length, 2);
  await shot('02-shift-view', { fullPage: true });
});

test('a lost reply: «no sabemos si se registró», fields locked, «Verificar» finds it, «Reintentar» never sells twice', async () => {
  // The server sells; the answer never reaches the browser.
  await page.route('**/recargas/cliente', async (route) => {
    await route.fetch();
    await route.abort('connectionreset');
  });
  await startSale('77333444', '15');
  await page.keyboard.press('Enter');
  await expectText(sellForm().locator('.unknown'), 'No sabemos si se registró');
  assert.equal(await sellForm().getByLabel('Número de teléfono').isDisabled(), true, 'the fields stay as sent');
  await shot('09-unknown-outcome');
  await page.unroute('**/recargas/cliente');
  await sellForm().getByRole('button', { name: 'Verificar' }).click();
  await expectText(sellForm().getByRole('status'), 'Recarga Tigo de Bs 15,00 al 773 334 44 registrada');
  assert.equal(await sellForm().getByLabel('Número de teléfono').isDisabled(), false);

  // Again, resolved by retrying: the same Idempotency-Key, one sale.
  let keys: string[] = [];
  await page.route('**/recargas/cliente', async (route) => {
    keys.push(route.request().headers()['idempotency-key'] ?? '');
    await route.fetch();
    await route.abort('connectionreset');
  });
  await startSale('77555666', '7');
  await page.keyboard.press('Enter');
  await expectText(sellForm().locator('.unknown'), 'No sabemos si se registró');
  await page.unroute('**/recargas/cliente');
  const retried = page.waitForRequest((r) => r.url().endsWith('/recargas/cliente') && r.method() === 'POST');
  await sellForm().getByRole('button', { name: 'Reintentar' }).click();
  keys.push((await retried).headers()['idempotency-key'] ?? '');
  await expectText(sellForm().getByRole('status'), 'Bs 7,00');
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1], 'the retry reuses the key');
  const all = await sales();
  assert.equal(all.filter((s) => s.numero_cliente === '77333444').length, 1);
  assert.equal(all.filter((s) => s.numero_cliente === '77555666').length, 1);
  keys = [];
});

test('offline: a banner with the time of the last answer', async () => {
  await page.route('**/cajas/sesion/**', (route) => route.abort('internetdisconnected'));
  await page.route('**/recargas/operadoras/saldos', (route) => route.abort('internetdisconnected'));
  await page.reload({ waitUntil: 'domcontentloaded' }).catch(() => undefined);
  await expectText(page.locator('.offline-banner'), /Sin conexión con el servidor/, 15_000);
  await page.unroute('**/cajas/sesion/**');
  await page.unroute('**/recargas/operadoras/saldos');
  await page.reload();
  await expectText(page.getByTestId('efectivo'), 'Bs');
  assert.equal(await page.locator('.offline-banner').count(), 0);
});

test('a phone-width sell screen fits', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await sellForm().getByLabel('Número de teléfono').fill('77123456');
  const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page is ${width} px wide`);
  await shot('10-phone-sell', { fullPage: true });
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.reload();
});

test('closing: counted by notes and coins, a difference needs a note; the report adds up', async () => {
  const expected = (await apiGet<{ monto_final_teorico: number }>(`/cajas/sesion/${sessionId}`)).monto_final_teorico;
  assert.equal(expected, 12345.67 + 10.5 + 20 + 15 + 7);
  await page.getByRole('button', { name: 'Cerrar caja' }).click();
  await expectText(page.getByTestId('cierre-teorico'), 'Bs 12.398,17');
  // 61 × 200 + 1 × 100 + 1 × 50 + 2 × 20 + 1 × 5 + 1 × 2 + 1 × 1 + 1 × 0,10 = 12.398,10: 7 centavos short.
  for (const [value, n] of [['200,00', '61'], ['100,00', '1'], ['50,00', '1'], ['20,00', '2'], ['5,00', '1'], ['2,00', '1'], ['1,00', '1'], ['0,10', '1']] as const) {
    await dialog().getByLabel(new RegExp(`de ${value.replace(',', ',')}$`)).fill(n);
  }
  await expectText(page.getByTestId('cierre-contado'), 'Bs 12.398,10');
  await expectText(page.getByTestId('cierre-diferencia'), 'Faltante de Bs 0,07');
  await dialog().getByRole('button', { name: /Cerrar caja con Bs 12.398,10/ }).click();
  await expectText(dialog().getByRole('alert'), 'explique el motivo');
  await dialog().getByLabel(/Observación/).fill('Faltan monedas de 0,05');
  await shot('03-close-dialog');
  await dialog().getByRole('button', { name: /Cerrar caja con/ }).click();

  await expectText(page.locator('h1'), 'Arqueo de caja');
  await expectText(page.getByTestId('reporte-teorico'), 'Bs 12.398,17');
  await expectText(page.getByTestId('reporte-real'), 'Bs 12.398,10');
  await expectText(page.getByTestId('reporte-diferencia'), 'Bs 0,07');
  await expectText(page.locator('tr.neg'), 'Faltante');
  await expectText(page.locator('.observacion'), 'Faltan monedas');
  await expectText(page.getByTestId('por-operadora'), /Tigo\s*3\s*Bs 32,50/);
  // The movements' running balance ends on the expected cash.
  const lastBalance = await page.locator('.movements tbody tr').last().locator('td').last().textContent();
  assert.equal(lastBalance?.trim(), '12.398,17');
  await shot('04-shift-report', { fullPage: true });
  await page.getByLabel('Papel').selectOption('80');
  await expectText(page.locator('style'), '80mm');

  const closed = await apiGet<{ estado_sesion: string; diferencia: number; observacion: string; conteo: unknown[] }>(`/cajas/sesion/${sessionId}`);
  assert.equal(closed.estado_sesion, 'CERRADA');
  assert.equal(closed.diferencia, -0.07);
  assert.equal(closed.observacion, 'Faltan monedas de 0,05');
  assert.equal(closed.conteo.length, 8);
});

test('the ticket of a sale, reprinted from the history (80 mm roll)', async () => {
  const sale = (await sales()).find((s) => s.numero_cliente === '77123456')!;
  await page.goto(`${base}/#/ticket/${sale.id}`);
  const ticket = await expectText(page.getByTestId('ticket'), 'Recarga de saldo');
  assert.match(ticket, /Tienda Kantuta/);
  assert.match(ticket, /771 234 56/);
  assert.match(ticket, /Bs 10,50/);
  await page.getByLabel('Papel').selectOption('80');
  await shot('11-ticket-80mm');
});

test('logging out with the caja open warns first', async () => {
  await logoutUi();
  await login(CASHIER.email, CASHIER.password);
  const s = await apiGet<Array<{ id: number }>>('/cajas');
  assert.ok(s.length >= 1);
  await page.getByLabel('Caja', { exact: true }).selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Abrir caja' }).click();
  await page.keyboard.press('Enter');
  await expectText(page.locator('h1'), /Sesión n\.º/);
  await page.getByRole('button', { name: 'Salir' }).click();
  await expectText(dialog(), 'Su caja sigue abierta');
  await dialog().getByRole('button', { name: 'Cancelar' }).click();
  await expectText(page.locator('h1'), /Sesión n\.º/);
  await logoutUi();
});

test('the administrator: sessions list (arqueos), day dashboard, history search, voiding a sale, CSV for a Spanish spreadsheet', async () => {
  await login(ADMIN.email, ADMIN.password);
  await expectText(page.locator('h1'), 'Tablero del día');
  await expectText(page.getByTestId('tablero-ventas'), 'Bs 52,50');
  await shot('12-dashboard', { fullPage: true });

  await page.getByRole('link', { name: 'Cajas y arqueos' }).click();
  await page.getByRole('row', { name: /Caja Mostrador/ }).getByRole('link', { name: 'Arqueos' }).click();
  await expectText(page.locator('h1'), 'Arqueos · Caja Mostrador');
  const closedRow = page.getByRole('row', { name: new RegExp(`n\\.º ${sessionId}\\b`) });
  await expectText(closedRow, 'Rosa Mamani');
  await expectText(closedRow, 'Faltante Bs 0,07');
  await shot('13-arqueos');

  await page.getByRole('link', { name: 'Historial de ventas' }).click();
  await page.getByLabel('Número (parte)').fill('3344');
  await page.getByRole('button', { name: 'Filtrar' }).click();
  await expectText(page.getByRole('tab', { name: /Recargas a clientes/ }), '(1)');
  await expectText(page.locator('table'), '773 334 44');
  await page.getByLabel('Número (parte)').fill('1');
  await page.getByRole('button', { name: 'Filtrar' }).click();
  await expectText(page.getByRole('alert'), 'Busque con 2 a 15 dígitos');
  await page.getByLabel('Número (parte)').fill('');
  await page.getByRole('button', { name: 'Filtrar' }).click();
  await expectText(page.getByRole('tab', { name: /Recargas a clientes/ }), '(4)');

  // Voiding a mistaken sale (its session is open): a reason is required.
  const adminSession = await apiGet<{ id: number }>('/cajas/sesion-activa');
  const mistake = await apiPost<{ id: number }>('/recargas/cliente', { operadora: 'Tigo', numero_cliente: '77999888', monto: 3, id_caja_sesion: adminSession.id });
  await page.getByRole('button', { name: 'Filtrar' }).click();
  const row = page.getByRole('row', { name: /779 998 88/ });
  await row.getByRole('button', { name: 'Anular' }).click();
  await dialog().getByRole('button', { name: 'Anular recarga' }).click();
  await expectText(dialog().getByRole('alert'), 'Escriba el motivo');
  await dialog().getByLabel(/Motivo/).fill('Número equivocado');
  await dialog().getByRole('button', { name: 'Anular recarga' }).click();
  await expectText(page.getByRole('row', { name: /779 998 88/ }), 'Anulada');
  const voided = await apiGet<{ estado: string; motivo_anulacion: string }>(`/recargas/cliente/${mistake.id}`);
  assert.deepEqual([voided.estado, voided.motivo_anulacion], ['ANULADA', 'Número equivocado']);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Exportar CSV' }).click()]);
  const csv = readFileSync((await download.path())!, 'utf8');
  assert.match(csv, /^\ufeffN\.º;Fecha y hora \(hora de La Paz\);Operadora;Número;Monto \(Bs\);Sesión de caja;Estado\r\n/);
  assert.match(csv, /;Tigo;77123456;10,50;\d+;Completada\r\n/);
  assert.match(csv, /;Tigo;77999888;3,00;\d+;Anulada\r\n/);
  assert.match(csv, /\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/, 'local, day-first times');
  await shot('05-history-chart', { fullPage: true });
});

test('no errors in the browser console', () => {
  // The lost replies above are the test's own doing.
  assert.deepEqual(
    browserProblems.filter((p) => !/ERR_CONNECTION_RESET|ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(p)),
    [],
  );
});
