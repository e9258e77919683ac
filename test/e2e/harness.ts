// The end-to-end harness of the web console: a real browser (Debian's
// Chromium, driven by playwright-core) against the real server started
// in-process on a random port with an in-memory database. Each *.e2e.ts file
// imports it and gets its own server and browser. Run by `npm run test:e2e`
// (which builds the console first); not part of `npm test`. With
// SCREENSHOTS=1 the main screens are saved under docs/screenshots/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openMigratedDatabase, type Database } from '../../src/db/database.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = process.env.SCREENSHOTS === '1';
const SHOTS_DIR = path.resolve('docs/screenshots');
export const ADMIN = { email: 'admin@consola.test', password: 'admin-password-1' };

export let app: App;
let database: Database;
export let base: string;
let context: BrowserContext;
export let page: Page;
let userDataDir: string;
export let adminToken: string;
export const browserProblems: string[] = [];

before(async () => {
  assert.ok(existsSync('web/dist/index.html'), 'web/dist is missing: run `npm run build:web` (npm run test:e2e does)');
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  database = await openMigratedDatabase({});
  const config = loadConfig({ JWT_SECRET: 'e2e-secret-e2e-secret-e2e-secret-123', LOG_LEVEL: 'silent', SHOP_NAME: 'Tienda Kantuta' });
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

export async function apiGet<T = unknown>(url: string, token = adminToken): Promise<T> {
  const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

export async function apiPost<T = unknown>(url: string, body: unknown, token = adminToken): Promise<T> {
  const res = await fetch(`${base}${url}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.status < 300, `POST ${url}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

/** Waits until the locator's text contains (or matches) the expectation; returns the text. */
export async function expectText(loc: Locator, expected: string | RegExp, timeout = 10_000): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const last = (await loc.first().textContent({ timeout }).catch(() => '')) ?? '';
    if (typeof expected === 'string' ? last.includes(expected) : expected.test(last)) return last;
    if (Date.now() > deadline) assert.fail(`expected ${String(expected)} in "${last.trim()}"`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const dialog = () => page.getByRole('dialog');

/** Answers the confirmation dialog, checking it shows the amount. */
export async function confirmDialog(amount: string, button?: string | RegExp) {
  const d = dialog();
  await expectText(d, amount);
  await d.getByRole('button', { name: button ?? /Confirmar|Cobrar|Registrar|Inyectar|Crear|Abrir/ }).click();
  await d.waitFor({ state: 'hidden' });
}

export async function shot(name: string, opts: { fullPage?: boolean } = {}) {
  if (!SHOTS) return;
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS_DIR, `${name}.png`), fullPage: opts.fullPage ?? false });
}

export async function login(email: string, password: string) {
  await page.goto(`${base}/`);
  await page.getByLabel('Correo electrónico').fill(email);
  await page.getByLabel('Contraseña').fill(password);
  await shot('01-login');
  await page.getByLabel('Contraseña').press('Enter');
  await page.getByRole('button', { name: 'Salir' }).waitFor();
}

/** Logs out through the menu (answering the open-caja warning when it comes). */
export async function logoutUi() {
  await page.getByRole('button', { name: 'Salir' }).click();
  const warning = page.getByRole('dialog');
  const out = page.getByLabel('Correo electrónico');
  await Promise.race([warning.waitFor(), out.waitFor()]);
  if (await warning.isVisible()) await warning.getByRole('button', { name: 'Salir de todos modos' }).click();
  await out.waitFor();
}

/** The text of the element that has the keyboard focus. */
/** Waits until `loc` holds the focus: the console moves focus after it renders. */
export async function expectFocused(loc: Locator, message: string, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  const id = await loc.getAttribute('id');
  while ((await focused()).id !== id) {
    if (Date.now() > deadline) assert.fail(`${message}: focus is on "${(await focused()).id}", not "${id}"`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const focused = () => page.evaluate(() => {
  const el = (globalThis as unknown as { document: { activeElement: { textContent: string | null; getAttribute(n: string): string | null; id: string } | null } }).document.activeElement;
  return { text: el?.textContent ?? '', label: el?.getAttribute('aria-label') ?? '', id: el?.id ?? '' };
});

