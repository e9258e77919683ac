// Money in the console is integer cents (bigint), parsed from and formatted to
// decimal text. No float arithmetic ever: POS amounts arrive as JSON numbers
// (10.5), whose shortest decimal text ("10.5") is exact for the two-decimal
// amounts the API returns; wallet amounts arrive as strings ("150.00").

const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

function fromParts(sign: string, whole: string, frac = ''): bigint {
  const cents = BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
  return sign === '-' ? -cents : cents;
}

/** A decimal string from the wallet API ("150.00", "-20.50") → cents. */
export function decimalToCents(text: string): bigint {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new Error(`not a money amount: ${text}`);
  return fromParts(m[1]!, m[2]!, m[3]);
}

/** A POS JSON number (10.5) → cents, through its decimal text. */
export function numberToCents(n: number): bigint {
  if (!Number.isFinite(n)) throw new Error(`not a money amount: ${n}`);
  return decimalToCents(String(n));
}

/**
 * What a person typed → cents, or null when it is not an amount with at most
 * two decimals. A comma is accepted as the decimal separator ("10,50").
 */
export function parseInputCents(text: string): bigint | null {
  const m = /^(\d{1,10})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  return m ? fromParts('', m[1]!, m[2]) : null;
}

/** Cents → "1234.50" (always two decimals; "-" for negatives). */
export function formatCents(cents: bigint): string {
  const neg = cents < 0n;
  const abs = neg ? -cents : cents;
  const whole = (abs / 100n).toString();
  const frac = (abs % 100n).toString().padStart(2, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** Cents → the JSON number the POS API expects (parsed from its decimal text). */
export function centsToNumber(cents: bigint): number {
  return Number(formatCents(cents));
}

/** Cents → the decimal string the wallet API expects ("150.00"). */
export const centsToDecimal = formatCents;

/** A POS amount (JSON number) for display: 10.5 → "10.50". */
export const fmtPos = (n: number | null | undefined) => (n === null || n === undefined ? '—' : formatCents(numberToCents(n)));

/** A wallet amount (decimal string) for display: "150" → "150.00". */
export const fmtWallet = (s: string | null | undefined) => (s === null || s === undefined ? '—' : formatCents(decimalToCents(s)));

/** Sum of POS amounts, exactly. */
export const sumPos = (values: number[]) => values.reduce((acc, n) => acc + numberToCents(n), 0n);
