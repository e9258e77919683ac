// How the console shows money and time: per the shop's public configuration
// (GET /config/public), loaded before the first screen. Amounts are integer
// cents formatted from their digits (never through a float): "Bs 1.234,50"
// for es-BO. Times are the business time zone's, and say so.
import { decimalToCents, numberToCents } from './money';

export interface PublicConfig {
  shopName: string;
  posCurrency: string;
  timezone: string;
  locale: string;
}

let config: PublicConfig = { shopName: 'Caja', posCurrency: 'BOB', timezone: 'America/La_Paz', locale: 'es-BO' };

const prefix = document.querySelector('meta[name="api-prefix"]')?.getAttribute('content') ?? '';

/** Reads the shop's settings; on failure the defaults stay (the console still works). */
export async function loadPublicConfig(): Promise<void> {
  try {
    const res = await fetch(`${location.origin}${prefix}/config/public`);
    if (res.ok) config = (await res.json()) as PublicConfig;
  } catch {
    // Offline at start: the defaults are the contract's.
  }
}

export const shop = () => config;

const SYMBOLS: Record<string, string> = { BOB: 'Bs', USD: 'US$', CUP: 'CUP' };
export const currencySymbol = (code = config.posCurrency) => SYMBOLS[code] ?? code;

function separators() {
  const parts = new Intl.NumberFormat(config.locale).formatToParts(1234.5);
  return { decimal: parts.find((p) => p.type === 'decimal')?.value ?? ',' };
}

/** Cents → "1.234,50" (locale grouping and decimal mark; "-" before negatives). */
export function amount(cents: bigint): string {
  const neg = cents < 0n;
  const abs = neg ? -cents : cents;
  const whole = new Intl.NumberFormat(config.locale, { useGrouping: true }).format(abs / 100n);
  const frac = (abs % 100n).toString().padStart(2, '0');
  return `${neg ? '-' : ''}${whole}${separators().decimal}${frac}`;
}

/** Cents → "Bs 1.234,50" in the POS currency (or another, e.g. a wallet's). */
export const money = (cents: bigint, currency = config.posCurrency) => `${currencySymbol(currency)} ${amount(cents)}`;

/** A POS amount (JSON number) for display. */
export const pos = (n: number | null | undefined) => (n === null || n === undefined ? '—' : money(numberToCents(n)));

/** A wallet amount (decimal string) in its wallet's currency. */
export const wallet = (s: string | null | undefined, currency: string) => (s === null || s === undefined ? '—' : money(decimalToCents(s), currency));

/** A wallet movement: "+ CUP 150,00", "− CUP 20,00" (the sign first, whatever the currency). */
export function signedWallet(s: string, currency: string): string {
  const cents = decimalToCents(s);
  return `${cents < 0n ? '−' : '+'} ${money(cents < 0n ? -cents : cents, currency)}`;
}

/** Cents for a CSV cell: no grouping, the locale's decimal mark ("1234,50"), so a spreadsheet reads a number. */
export function csvAmount(cents: bigint): string {
  const neg = cents < 0n;
  const abs = neg ? -cents : cents;
  return `${neg ? '-' : ''}${abs / 100n}${separators().decimal}${(abs % 100n).toString().padStart(2, '0')}`;
}

// ---- time, in the business time zone

const fmt = (opts: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(config.locale, { timeZone: config.timezone, ...opts });

function partsOf(d: Date) {
  const parts = fmt({ day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { day: get('day'), month: get('month'), year: get('year'), hour: get('hour'), minute: get('minute') };
}

/** "03/12/2026 14:05" (day first, 24 h), in the business time zone. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const p = partsOf(new Date(iso));
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

/** "03/12/2026", in the business time zone. */
export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  const p = partsOf(new Date(iso));
  return `${p.day}/${p.month}/${p.year}`;
}
export const time = (d: Date) => fmt({ hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d);

/** "hora de La Paz": what the times on screen are. */
export const zoneLabel = () => `hora de ${config.timezone.split('/').pop()!.replace(/_/g, ' ')}`;

/** The business day (YYYY-MM-DD) an instant falls on. */
export function businessDay(iso: string | Date): string {
  const parts = fmt({ year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(iso));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** "02/12" for a business day. */
export const dayMonth = (day: string) => `${day.slice(8, 10)}/${day.slice(5, 7)}`;

/** The business zone's UTC offset on a day ("-04:00"). */
function offsetOn(day: string): string {
  const noonUtc = new Date(`${day}T12:00:00Z`);
  const name = fmt({ timeZoneName: 'longOffset' }).formatToParts(noonUtc).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-]\d{2}):?(\d{2})?/.exec(name);
  return m ? `${m[1]}:${m[2] ?? '00'}` : 'Z';
}

/** The instant a business day starts, as ISO 8601 with the zone's offset then. */
export const dayStart = (day: string) => `${day}T00:00:00${offsetOn(day)}`;

/** The last millisecond of a business day: an inclusive `to` for the API. */
export const dayEnd = (day: string) => `${day}T23:59:59.999${offsetOn(day)}`;

/** Today, in the business time zone. */
export const today = () => businessDay(new Date());
