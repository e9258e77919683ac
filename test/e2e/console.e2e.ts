// End-to-end tests of the web console in a real browser (Debian's Chromium,
// driven by playwright-core), against the real server started in-process on
// a random port with an in-memory database. Run by `npm run test:e2e` (which
// builds the console first); not part of `npm test`.
// With SCREENSHOTS=1 (`npm run screenshots`) the main screens are saved under
// docs/screenshots/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openMigratedDatabase, type Database } from '../../src/db/database.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOTS === '1';
const SHOTS_DIR = path.resolve('docs/screenshots');
const ADMIN = { email: 'admin@consola.test', password: 'admin-password-1' };

let app: App;
let database: Database;
let base: string;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
let adminToken: string;
const browserProblems: string[] = [];

before(async () => {
  assert.ok(existsSync('web/dist/index.html'), 'web/dist is missing: run `npm run build:web` (npm run test:e2e does)');
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  database = await openMigratedDatabase({});
  const config = loadConfig({ JWT_SECRET: 'e2e-secret-e2e-secret-e2e-secret-123', LOG_LEVEL: 'silent' });
  app = await buildApp({ config, db: database.db, jwtSecret: config.JWT_SECRET!, logger: false });
  await app.services.auth.bootstrapAdmin(ADMIN, app.log);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  assert.ok(addr && typeof addr === 'object');
  base = `http://127.0.0.1:${addr.port}`;
  const res = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  adminToken = ((await res.json()) as { access_token: string }).access_token;

  userDataDir = mkdtempSync(path.join(tmpdir(), 'consola-e2e-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1366, height: 768 },
    locale: 'es-BO',
    timezoneId: 'America/La_Paz',
    acceptDownloads: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => browserProblems.push(err.message));
  page.on('console', (msg) => {
    // Refused requests (4xx) are logged by the browser; they are part of the flows.
    if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) browserProblems.push(msg.text());
  });
  if (SHOTS) mkdirSync(SHOTS_DIR, { recursive: true });
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await app?.close();
  await database?.close();
});

// ---- helpers

async function apiGet<T = unknown>(url: string, token = adminToken): Promise<T> {
  const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

async function apiPost<T = unknown>(url: string, body: unknown, token = adminToken): Promise<T> {
  const res = await fetch(`${base}${url}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.status < 300, `POST ${url}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

/** Waits until the locator's text contains (or matches) the expectation; returns the text. */
async function expectText(loc: Locator, expected: string | RegExp, timeout = 10_000): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const last = (await loc.first().textContent({ timeout }).catch(() => '')) ?? '';
    if (typeof expected === 'string' ? last.includes(expected) : expected.test(last)) return last;
    if (Date.now() > deadline) assert.fail(`expected ${String(expected)} in "${last.trim()}"`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const dialog = () => page.getByRole('dialog');

/** Answers the confirmation dialog, checking it shows the amount. */
async function confirmDialog(amount: string, button?: string | RegExp) {
  const d = dialog();
  await expectText(d, amount);
  await d.getByRole('button', { name: button ?? /Confirmar|Cobrar|Registrar|Inyectar|Crear|Abrir/ }).click();
  await d.waitFor({ state: 'hidden' });
}

async function shot(name: string, opts: { fullPage?: boolean } = {}) {
  if (!SHOTS) return;
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS_DIR, `${name}.png`), fullPage: opts.fullPage ?? false });
}

async function login(email: string, password: string) {
  await page.goto(`${base}/`);
  await page.getByLabel('Correo electrónico').fill(email);
  await page.getByLabel('Contraseña').fill(password);
  await shot('01-login');
  await page.getByLabel('Contraseña').press('Enter');
  await page.getByRole('button', { name: 'Cerrar sesión' }).waitFor();
}

// ---- (a) a full cashier shift

let sessionId = 0;

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

test('cashier shift: caja, session, injection, top-up, manual egreso, close with count, report', async () => {
  await login(ADMIN.email, ADMIN.password);

  // Create a caja with an opening saldo.
  await page.getByRole('link', { name: 'Cajas' }).click();
  const create = page.getByRole('form', { name: 'Nueva caja' });
  await create.getByLabel('Nombre de la caja').fill('Caja Central');
  await create.getByLabel('Saldo inicial').fill('500');
  await create.getByRole('button', { name: 'Crear caja' }).click();
  await confirmDialog('500.00', 'Crear caja');
  await expectText(page.locator('table'), 'Caja Central');
  await expectText(page.locator('table'), '500.00');

  // Open a session on it (monto inicial = the saldo).
  await page.getByRole('link', { name: 'Mi caja' }).click();
  await page.getByLabel('Caja', { exact: true }).selectOption({ label: 'Caja Central · saldo 500.00' });
  await page.getByRole('button', { name: 'Abrir sesión' }).click();
  await confirmDialog('500.00', 'Abrir sesión');
  const heading = await expectText(page.locator('h1'), /Sesión #\d+/);
  sessionId = Number(/#(\d+)/.exec(heading)![1]);
  await expectText(page.getByTestId('efectivo'), '500.00');

  // Inject 200 to Tigo from the register.
  const inject = page.getByRole('form', { name: 'Inyección a operadora' });
  await inject.getByLabel('Operadora destino').selectOption('Tigo');
  await inject.getByLabel('Monto de la inyección').fill('200');
  await inject.getByRole('button', { name: 'Inyectar saldo' }).click();
  await confirmDialog('200.00', /Inyectar/);
  await expectText(page.getByTestId('saldo-Tigo'), '200.00');
  await expectText(page.getByTestId('efectivo'), '300.00');

  // The API's validation message is shown next to the field.
  const sell = page.getByRole('form', { name: 'Vender recarga' });
  await sell.getByLabel('Número de teléfono').fill('12ab');
  await sell.getByLabel('Monto').fill('10.5');
  await sell.getByRole('button', { name: 'Vender recarga' }).click();
  await confirmDialog('10.50', /Cobrar/);
  await expectText(sell.locator('.field-error'), /./);
  await expectText(sell.getByRole('alert'), /numero_cliente/);

  // An expired/revoked access token is refreshed transparently.
  await page.evaluate(() => {
    const storage = (globalThis as unknown as { localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } }).localStorage;
    const s = JSON.parse(storage.getItem('consola.session')!) as { access_token: string };
    s.access_token = 'not-a-valid-token';
    storage.setItem('consola.session', JSON.stringify(s));
  });
  await page.reload();
  await expectText(page.getByTestId('efectivo'), '300.00');

  // Sell a Tigo top-up of 10.50.
  const sell2 = page.getByRole('form', { name: 'Vender recarga' });
  await sell2.getByLabel('Operadora').selectOption('Tigo');
  await sell2.getByLabel('Número de teléfono').fill('70012345');
  await sell2.getByLabel('Monto').fill('10,50');
  await sell2.getByRole('button', { name: 'Vender recarga' }).click();
  await confirmDialog('10.50', /Cobrar/);
  await expectText(sell2.getByRole('status'), 'Recarga de 10.50 a 70012345 registrada');
  await expectText(page.getByTestId('saldo-Tigo'), '189.50');
  await expectText(page.getByTestId('efectivo'), '310.50');

  // A manual egreso of 20.
  const manual = page.getByRole('form', { name: 'Ingreso o egreso manual' });
  await manual.getByLabel('Egreso').check();
  await manual.getByLabel('Monto del movimiento').fill('20');
  await manual.getByLabel('Motivo').fill('Pago de limpieza');
  await manual.getByRole('button', { name: 'Registrar movimiento' }).click();
  await confirmDialog('20.00', 'Registrar egreso');
  await expectText(page.getByTestId('efectivo'), '290.50');
  await expectText(page.locator('table'), 'Pago de limpieza');
  await shot('02-shift-view', { fullPage: true });

  // Close with a count of 290.00: the difference (−0.50) is shown before confirming.
  await page.getByRole('button', { name: 'Cerrar caja' }).click();
  await expectText(page.getByTestId('cierre-teorico'), '290.50');
  await dialog().getByLabel('Efectivo contado').fill('290');
  await expectText(page.getByTestId('cierre-diferencia'), '-0.50');
  await expectText(page.getByTestId('cierre-diferencia'), 'faltante');
  await shot('03-close-dialog');
  await dialog().getByRole('button', { name: /Confirmar cierre con 290.00/ }).click();

  // The printable report (cierre de caja).
  await expectText(page.locator('h1'), 'Cierre de caja');
  await expectText(page.getByTestId('reporte-teorico'), '290.50');
  await expectText(page.getByTestId('reporte-real'), '290.00');
  await expectText(page.getByTestId('reporte-diferencia'), '-0.50');
  await expectText(page.locator('.report'), 'CERRADA');
  await shot('04-shift-report', { fullPage: true });

  // What the API now says.
  const s = await apiGet<Record<string, unknown>>(`/cajas/sesion/${sessionId}`);
  assert.equal(s.estado_sesion, 'CERRADA');
  assert.equal(s.monto_inicial, 500);
  assert.equal(s.total_ingresos, 10.5);
  assert.equal(s.total_egresos, 220);
  assert.equal(s.monto_final_teorico, 290.5);
  assert.equal(s.monto_final_real, 290);
  assert.equal(s.diferencia, -0.5);
  const saldos = await apiGet<{ nombre_operadora: string; saldo_actual: number }[]>('/recargas/operadoras/saldos');
  assert.equal(saldos.find((o) => o.nombre_operadora === 'Tigo')?.saldo_actual, 189.5);
  const recargas = await apiGet<{ numero_cliente: string; monto: number }[]>('/recargas/historial/clientes');
  assert.deepEqual(
    recargas.map((r) => [r.numero_cliente, r.monto]),
    [['70012345', 10.5]],
    'exactly one top-up sold (the refused one and the retried one charged once)',
  );
  const cajas = await apiGet<{ nombre: string; saldo: number }[]>('/cajas');
  assert.equal(cajas.find((c) => c.nombre === 'Caja Central')?.saldo, 290);
  const verify = await apiGet<{ ok: boolean }>('/ledger/verify');
  assert.equal(verify.ok, true);
});

test('admin histories: table, chart, CSV export', async () => {
  if (SHOTS) {
    // More sales for a chart worth looking at (a second session, via the API).
    const cajas = await apiGet<{ id: number; nombre: string }[]>('/cajas');
    const open = await apiPost<{ id: number }>('/cajas/abrir', { id_caja: cajas.find((c) => c.nombre === 'Caja Central')!.id });
    for (const [op, m] of [['Entel', 150], ['Viva', 100]] as const) await apiPost('/recargas/inyeccion', { operadora_destino: op, monto: m, id_caja_sesion: open.id });
    for (const [op, m, n] of [['Tigo', 30, '70111222'], ['Entel', 45.5, '71222333'], ['Viva', 20, '72333444'], ['Tigo', 15, '73444555'], ['Entel', 12, '+59176555666']] as const) {
      await apiPost('/recargas/cliente', { operadora: op, numero_cliente: n, monto: m, id_caja_sesion: open.id });
    }
  }
  await page.getByRole('link', { name: 'Historial de recargas' }).click();
  await expectText(page.locator('table'), '70012345');
  assert.ok((await page.locator('.chart svg rect').count()) >= 1, 'the chart draws bars');
  await shot('05-history-chart', { fullPage: true });

  // Filter by operator.
  await page.getByLabel('Operadora', { exact: true }).selectOption('Viva');
  await page.getByRole('button', { name: 'Filtrar' }).click();
  await expectText(page.getByRole('tab', { name: /Recargas a clientes/ }), SHOTS ? '(1)' : '(0)');
  await page.getByRole('button', { name: 'Limpiar' }).click();
  await expectText(page.getByRole('tab', { name: /Recargas a clientes/ }), SHOTS ? '(6)' : '(1)');

  // CSV built in the browser from the API's JSON.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Exportar CSV' }).click()]);
  const csv = readFileSync((await download.path())!, 'utf8');
  assert.match(csv, /^\ufeffid,fecha_hora,operadora,numero_cliente,monto,id_caja_sesion\r\n/);
  assert.match(csv, new RegExp(`,Tigo,70012345,10\\.50,${sessionId}\\r\\n`));

  await page.getByRole('tab', { name: /Inyecciones/ }).click();
  await expectText(page.locator('table'), '200.00');
});

// ---- (b) wallet back office

test('wallet: driver and point, cash top-up, confirm from the queue, wallet view, block', async () => {
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
    await expectText(page.locator('h1'), 'Recargas en efectivo');
    await shot('08-phone-topups', { fullPage: true });
    await page.setViewportSize({ width: 1366, height: 768 });
  }
});

test('roles: an Operador sees the cashier screens; a Conductor only their own wallet', async () => {
  await apiPost('/usuario', { email: 'cajera@consola.test', password: 'cajera-123', nombres: 'Ana Cajera', role: 'Operador' });
  // Logging out revokes the administrator's sessions (the API token too): nothing below uses it.
  await page.getByRole('button', { name: 'Cerrar sesión' }).click();
  await page.getByLabel('Correo electrónico').fill('cajera@consola.test');
  await page.getByLabel('Contraseña').fill('cajera-123');
  await page.getByRole('button', { name: 'Ingresar' }).click();
  await expectText(page.locator('main'), 'Abrir sesión de caja');
  const opMenu = await page.getByRole('navigation', { name: 'Menú principal' }).getByRole('link').allTextContents();
  assert.deepEqual(opMenu, ['Mi caja', 'Historial de recargas', 'Recargas en efectivo', 'Conductores', 'Puntos de cobro']);
  await page.getByRole('link', { name: 'Recargas en efectivo' }).click();
  await expectText(page.locator('main'), 'Registrar recarga en efectivo');
  assert.equal(await page.getByLabel('Cobrado por').count(), 0, 'an Operador collects in their own name');
  await page.getByRole('button', { name: 'Cerrar sesión' }).click();

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
