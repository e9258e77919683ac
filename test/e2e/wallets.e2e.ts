import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN, apiGet, apiPost, base, browserProblems, confirmDialog, dialog, expectText, login, logoutUi, page, shot } from './harness.js';

// Collection points and driver wallets at fleet scale (issue 15): 1,000
// drivers to search through, points staffed by named cashiers, the
// supervisor's queue with its filters and per-point totals, receipts,
// debits, and the phone layouts.

const DRIVERS = 1000;
const CASHIER = { email: 'rosa@puntos.test', password: 'cajera-rosa-1', nombres: 'Rosa Quispe' };
const OTHER = { email: 'mario@puntos.test', password: 'cajero-mario-1', nombres: 'Mario Choque' };
const DRIVER = { email: 'conductor0777@puntos.test', password: 'conductor-777' };
let rosaId = '';
let marioId = '';
let norte = '';
let target: { id: string; walletId: string } = { id: '', walletId: '' };
let ccrId = '';

// Logging out in the browser ends every session of that user, the API's too: each call logs in afresh.
async function tokenOf(u: { email: string; password: string }): Promise<string> {
  const res = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(u) });
  return ((await res.json()) as { access_token: string }).access_token;
}
type Listing = { data: Record<string, unknown> & Array<Record<string, unknown>>; meta: Record<string, unknown> };
const api = async (url: string) => apiGet<Listing>(url, await tokenOf(ADMIN));
const post = async (url: string, body: unknown, as = ADMIN) => apiPost<{ data: Record<string, unknown> }>(url, body, await tokenOf(as));
const main = () => page.locator('main');

/** Page width fits the viewport: nothing to scroll sideways. */
async function fitsWidth(what: string, width = 390) {
  const scroll = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `${what}: the page is ${scroll} px wide on a ${width} px screen`);
}

test('setup: 1,000 drivers, two staffed points and an open one', async () => {
  const started = Date.now();
  for (let i = 0; i < DRIVERS; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, k) => {
        const n = String(i + k).padStart(4, '0');
        return apiPost('/drivers', {
          nombre: `Conductor ${n} ${['Mamani', 'Condori', 'Flores', 'Rojas'][(i + k) % 4]}`,
          telefono: `7${n}000`,
          ...(n === '0777' ? { ...DRIVER, allowedNegativeLimit: '50.00' } : {}),
        });
      }),
    );
  }
  const all = await api('/drivers?limit=1');
  assert.equal(all.meta.total, DRIVERS);
  target = (await api('/drivers?search=Conductor 0777')).data[0] as typeof target;
  rosaId = (await apiPost<{ id: string }>('/usuario', { ...CASHIER, role: 'Operador' })).id;
  marioId = (await apiPost<{ id: string }>('/usuario', { ...OTHER, role: 'Operador' })).id;
  norte = (await apiPost<{ data: { id: string } }>('/cash-collection-points', { name: 'Terminal Norte' })).data.id;
  await apiPost('/cash-collection-points', { name: 'Terminal Sur', staffUserIds: [marioId] });
  await apiPost('/cash-collection-points', { name: 'Ventanilla libre' });
  assert.ok(Date.now() - started < 60_000);
});

test('the administrator names a point\'s staff from the points page', async () => {
  await login(ADMIN.email, ADMIN.password);
  const nav = page.getByRole('navigation', { name: 'Menú principal' });
  assert.deepEqual(await nav.locator('.nav-title').allTextContents(), ['Administración', 'Recargas de saldo (teléfonos)', 'Billeteras de conductores']);
  await nav.getByRole('link', { name: 'Puntos de cobro' }).click();
  const row = page.getByRole('row', { name: /Terminal Norte/ });
  await expectText(row, 'Cualquier cajero');
  await row.getByRole('button', { name: 'Personal' }).click();
  await dialog().getByLabel(CASHIER.nombres).check();
  await dialog().getByRole('button', { name: 'Guardar personal' }).click();
  await dialog().waitFor({ state: 'hidden' });
  await expectText(page.getByTestId('staff-Terminal Norte'), CASHIER.nombres);
  await expectText(page.getByTestId('staff-Terminal Sur'), OTHER.nombres);
  const point = await api(`/cash-collection-points/${norte}`);
  assert.deepEqual(point.data.staffUserIds, [rosaId]);
  await logoutUi();
});

test('the cashier finds one driver among 1,000 by typing, with the keyboard, at the points she staffs', async () => {
  await login(CASHIER.email, CASHIER.password);
  await page.getByRole('link', { name: 'Efectivo recibido' }).click();
  const form = page.getByRole('form', { name: 'Registrar efectivo recibido' });
  const points = await form.getByLabel('Punto de cobro').locator('option').allTextContents();
  assert.deepEqual(points.filter((p) => !p.startsWith('—')).sort(), ['Terminal Norte', 'Ventanilla libre'], 'not Terminal Sur, staffed by Mario');

  const picker = form.getByRole('combobox', { name: 'Conductor' });
  await picker.click();
  await picker.pressSequentially('0777', { delay: 30 });
  const list = page.getByRole('listbox');
  const settled = () => page.locator('[role="listbox"][aria-busy="false"]').waitFor();
  await expectText(list, 'Conductor 0777 Condori');
  await settled();
  assert.equal(await list.getByRole('option').count(), 1, 'the server searched: one match');
  await picker.fill('');
  await picker.pressSequentially('Rojas', { delay: 20 });
  await expectText(list, 'más: siga escribiendo');
  await picker.fill('');
  await picker.pressSequentially('conductor 077', { delay: 20 });
  await expectText(list, 'Conductor 0770');
  await settled();
  // Down twice, Enter: the third match, chosen without the mouse (and without submitting the form).
  const names = await list.getByRole('option').locator('.option-name').allTextContents();
  assert.ok(names.length >= 3 && names.length <= 12, `matches: ${names.length}`);
  await picker.press('ArrowDown');
  await picker.press('ArrowDown');
  assert.equal(await list.getByRole('option', { selected: true }).locator('.option-name').textContent(), names[2]);
  await shot('14-driver-search');
  await picker.press('Enter');
  await expectText(form.getByTestId('driver-picked'), names[2]!);
  await form.getByRole('button', { name: 'Cambiar' }).click();
  await form.getByRole('combobox', { name: 'Conductor' }).pressSequentially('0777000', { delay: 20 });
  await expectText(list, 'Conductor 0777');
  await settled();
  await form.getByRole('combobox', { name: 'Conductor' }).press('Enter');
  await expectText(form.getByTestId('driver-picked'), 'Conductor 0777 Condori');

  await form.getByLabel('Punto de cobro').selectOption({ label: 'Terminal Norte' });
  await expectText(form, 'Saldo CUP 0,00');
  await form.getByLabel(/Monto recibido/).fill('150');
  await form.getByLabel('Notas').fill('3 billetes de 50');
  await form.getByRole('button', { name: 'Registrar' }).click();
  await confirmDialog('CUP 150,00', /Registrar CUP 150,00/);
  await expectText(page.getByRole('status'), 'CUP 150,00 de Conductor 0777 Condori registrados: pendiente de confirmación.');
  const rec = await api(`/drivers-balance/topups?driverId=${target.id}`);
  assert.equal(rec.data.length, 1);
  ccrId = rec.data[0]!.cashCollectionRecordId as string;
  assert.deepEqual([rec.data[0]!.collectedByName, rec.data[0]!.collectionPointName, rec.data[0]!.notes], [CASHIER.nombres, 'Terminal Norte', '3 billetes de 50']);

  // The driver's receipt, printed at once.
  await page.getByRole('link', { name: 'Imprimir recibo' }).click();
  const receipt = page.getByTestId('receipt');
  await expectText(receipt, 'Recibo de efectivo');
  await expectText(receipt, 'CUP 150,00');
  await expectText(receipt, 'Pendiente de confirmación');
  await expectText(receipt, CASHIER.nombres);
  await page.getByLabel('Papel').selectOption('58');
  assert.equal(await receipt.getAttribute('class'), 'ticket print-58');
  await shot('15-cash-receipt-58mm');
  await page.getByLabel('Papel').selectOption('80');
  await page.getByRole('button', { name: '← Volver' }).click();
  await expectText(page.locator('h1'), 'Efectivo recibido de conductores');

  // A second one at the open window, for the totals.
  const open = (await api(`/cash-collection-points?usableBy=${rosaId}`)).data.find((p) => p.name === 'Ventanilla libre')!;
  await post(`/drivers-balance/${target.id}/topups`, { collectionPointId: open.id, collectedByUserId: rosaId, amount: '20.50' }, CASHIER);
  await logoutUi();
});

test('the supervisor filters the queue, sees what waits per point, confirms, and the cashier\'s note stays', async () => {
  await login(ADMIN.email, ADMIN.password);
  // Mario's cash at his own point.
  const sur = (await api(`/cash-collection-points?usableBy=${marioId}`)).data.find((p) => p.name === 'Terminal Sur')!;
  await post(`/drivers-balance/${target.id}/topups`, { collectionPointId: sur.id, collectedByUserId: marioId, amount: '7.25' }, OTHER);
  await page.getByRole('link', { name: 'Efectivo recibido' }).click();
  await expectText(page.getByTestId('point-total-Terminal Norte'), 'CUP 150,00');
  await expectText(page.getByTestId('point-total-Ventanilla libre'), 'CUP 20,50');
  await expectText(page.getByTestId('point-total-Terminal Sur'), 'CUP 7,25');
  await expectText(page.getByTestId('queue-total'), '3 recargas · CUP 177,75');
  const row = page.getByTestId(`topup-${ccrId}`);
  await expectText(row, CASHIER.nombres);
  await expectText(row, '3 billetes de 50');

  // By point (a click on its total), by cashier, by day.
  await page.getByTestId('point-total-Terminal Sur').click();
  await expectText(page.getByTestId('queue-total'), '1 recarga · CUP 7,25');
  await page.getByRole('form', { name: 'Filtros' }).getByLabel('Punto').selectOption('');
  await page.getByRole('form', { name: 'Filtros' }).getByLabel('Cobrado por').selectOption({ label: CASHIER.nombres });
  await expectText(page.getByTestId('queue-total'), '2 recargas · CUP 170,50');
  await page.getByRole('form', { name: 'Filtros' }).getByLabel('Desde').fill('2020-01-01');
  await page.getByRole('form', { name: 'Filtros' }).getByLabel('Hasta').fill('2020-01-31');
  await expectText(main(), 'Nada con estos filtros.');
  await page.getByRole('button', { name: 'Quitar filtros' }).click();
  await expectText(page.getByTestId('queue-total'), '3 recargas · CUP 177,75');
  await shot('06-pending-topups');

  // Confirm Rosa's 150: the comment is kept apart from her note.
  await row.getByRole('button', { name: 'Confirmar' }).click();
  await expectText(dialog(), 'Nota del cajero: «3 billetes de 50»');
  await dialog().getByLabel('Comentario (opcional)').fill('Billetes verificados');
  await dialog().getByRole('button', { name: /Confirmar CUP 150,00/ }).click();
  await expectText(page.getByRole('status'), 'Saldo CUP 0,00 → CUP 150,00');
  await page.getByRole('tab', { name: 'Confirmadas' }).click();
  const done = page.getByTestId(`topup-${ccrId}`);
  await expectText(done, '3 billetes de 50');
  await expectText(done, 'Billetes verificados');
  await done.getByRole('link', { name: 'Recibo' }).click();
  const receipt = page.getByTestId('receipt');
  await expectText(receipt, 'Recarga de billetera acreditada');
  await expectText(receipt, 'Saldo después');
  await expectText(receipt, 'CUP 150,00');
  await shot('16-cash-receipt-confirmed');
});

test('debits from the wallet page: the outcome and the negative limit explained before sending', async () => {
  await page.goto(`${base}/#/wallets/conductor/${target.id}`);
  await expectText(page.getByTestId('wallet-balance'), 'CUP 150,00');
  await expectText(main(), 'Puede llegar a CUP -50,00');
  await page.getByRole('button', { name: 'Registrar débito' }).click();
  const d = dialog();
  await d.getByLabel('Tipo').selectOption({ label: 'Multa' });
  await d.getByLabel(/Monto/).fill('190');
  await d.getByLabel('Nota').fill('Exceso de velocidad');
  await d.getByRole('button', { name: 'Revisar débito' }).click();
  await expectText(d.getByTestId('debit-outcome'), 'el saldo pasa de CUP 150,00 a CUP -40,00');
  await expectText(d.getByTestId('debit-outcome'), 'queda en negativo');
  await shot('17-debit-review');
  await d.getByRole('button', { name: 'Corregir' }).click();
  await d.getByLabel(/Monto/).fill('250');
  await d.getByRole('button', { name: 'Revisar débito' }).click();
  await expectText(d.getByTestId('debit-outcome'), 'será rechazado');
  assert.equal(await d.getByRole('button', { name: /Debitar/ }).isDisabled(), true);
  await d.getByRole('button', { name: 'Corregir' }).click();
  await d.getByLabel('Tipo').selectOption({ label: 'Comisión' });
  await d.getByLabel(/Monto/).fill('20');
  await d.getByLabel('Nota').fill('Comisión semanal');
  await d.getByRole('button', { name: 'Revisar débito' }).click();
  await d.getByRole('button', { name: 'Debitar CUP 20,00' }).click();
  await expectText(page.getByRole('status'), 'Comisión de CUP 20,00 registrada. Saldo CUP 150,00 → CUP 130,00.');
  await expectText(page.getByTestId('wallet-balance'), 'CUP 130,00');
  const movs = await api(`/drivers-balance/${target.walletId}/movements?sortDir=asc`);
  assert.deepEqual(movs.data.map((m) => [m.type, m.amount, m.note]), [['cash_topup', '150.00', '3 billetes de 50'], ['commission', '-20.00', 'Comisión semanal']]);

  // Movements by date: none in 2020; both today.
  const filters = page.getByRole('group', { name: 'Fechas' });
  await filters.getByLabel('Hasta').fill('2020-12-31');
  await expectText(main(), 'Sin movimientos con estos filtros.');
  await page.getByRole('button', { name: 'Todas las fechas' }).click();
  await expectText(main(), '2 movimientos');

  // Block: the history names the administrator.
  await page.getByRole('button', { name: 'Bloquear billetera' }).click();
  await dialog().getByLabel('Motivo').fill('Documentos vencidos');
  await dialog().getByRole('button', { name: 'Bloquear' }).click();
  await expectText(page.getByTestId('wallet-status'), 'Bloqueada');
  const me = await apiGet<{ nombres: string }>('/auth/me', await tokenOf(ADMIN));
  await expectText(page.getByRole('row', { name: /Documentos vencidos/ }), me.nombres);
  await shot('07-driver-wallet', { fullPage: true });
});

test('on a 390 px phone: the supervisor\'s queue and the driver\'s own wallet fit, amounts and buttons in view', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.goto(`${base}/#/wallets/recargas`);
    const row = page.locator('[data-testid^="topup-"]').first();
    await row.waitFor();
    await fitsWidth('the queue');
    const confirm = row.getByRole('button', { name: 'Confirmar' });
    const amount = row.locator('.amount-cell');
    for (const [what, box] of [['Confirmar', await confirm.boundingBox()], ['the amount', await amount.boundingBox()]] as const) {
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${what} is on screen: ${JSON.stringify(box)}`);
    }
    await shot('08-phone-topups', { fullPage: true });
    await logoutUi();

    // Enough movements for a second page: the pager must fit too.
    await post(`/wallets-status/${target.id}/unblock`, { reason: 'Documentos al día' });
    for (let i = 1; i <= 10; i++) await post(`/drivers-balance/${target.id}/debits`, { type: 'adjustment', amount: '1.00', note: `Ajuste ${i}` });
    await login(DRIVER.email, DRIVER.password);
    await expectText(page.locator('h1'), 'Mi billetera');
    await expectText(page.getByTestId('wallet-balance'), 'CUP 120,00');
    await expectText(main(), 'Ajuste 10');
    await fitsWidth('the driver\'s wallet');
    const next = page.getByRole('button', { name: 'Siguiente →' });
    const box = await next.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the pager is on screen: ${JSON.stringify(box)}`);
    await next.click();
    await expectText(main(), 'Página 2 de 2');
    await shot('18-phone-my-wallet', { fullPage: true });
    await logoutUi();
  } finally {
    await page.setViewportSize({ width: 1366, height: 768 });
  }
  assert.deepEqual(browserProblems, []);
});
