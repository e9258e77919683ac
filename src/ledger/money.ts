// The one place where amounts cross between the wire and integer minor units.
// Inside the service every amount is a bigint count of cents.

/** 9,999,999,999.99, the largest amount the API accepts (API.md §0). */
export const MAX_AMOUNT_MINOR = 999_999_999_999n;

const DECIMAL = /^(\d{1,10})(?:\.(\d{1,2}))?$/;

/** "150", "150.5", "150.50" → 15050n. Anything else (signs, exponents, spaces, >2 decimals) → null. */
export function parseDecimal(text: string): bigint | null {
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const cents = BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
  return cents <= MAX_AMOUNT_MINOR ? cents : null;
}

/** Like parseDecimal, with an optional leading minus: "-1.50" → -150n. */
export function parseSignedDecimal(text: string): bigint | null {
  const negative = text.startsWith('-');
  const minor = parseDecimal(negative ? text.slice(1) : text);
  return minor === null ? null : negative ? -minor : minor;
}

/**
 * A JSON number as the POS clients send it (10.5). JavaScript prints a double
 * as the shortest decimal that reads back to it, so 10.5 prints "10.5" and
 * 0.1 + 0.2 prints "0.30000000000000004": exactly the amounts with at most two
 * decimals pass, and nothing is ever rounded.
 */
export function parseJsonNumber(value: number): bigint | null {
  if (!Number.isFinite(value) || value < 0) return null;
  return parseDecimal(String(Object.is(value, -0) ? 0 : value));
}

/** Like parseJsonNumber, negative amounts included (a session's diferencia). */
export function parseSignedJsonNumber(value: number): bigint | null {
  if (value >= 0 || Object.is(value, -0)) return parseJsonNumber(value);
  const minor = parseJsonNumber(-value);
  return minor === null ? null : -minor;
}

/** 15050n → "150.50"; -5n → "-0.05". */
export function formatDecimal(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const abs = minor < 0n ? -minor : minor;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/**
 * 15050n → 150.5 as a JSON number for the POS family. Reading the exact
 * decimal text gives the double nearest to it, which JSON prints back as
 * that same decimal.
 */
export function toJsonNumber(minor: bigint): number {
  return Number(formatDecimal(minor));
}
