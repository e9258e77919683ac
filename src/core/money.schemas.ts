import { z } from 'zod';
import { formatDecimal, parseDecimal, parseJsonNumber, parseSignedDecimal, parseSignedJsonNumber, toJsonNumber } from '../ledger/money.js';

// Money and time at the edge. Each schema is a codec: a request is decoded
// into integer minor units (bigint) and Dates, a response is encoded back to
// the wire, so services never parse or format an amount. `.meta({ type })`
// names the wire type in the OpenAPI document (the inner side is a bigint).
//   POS family:    JSON numbers with at most two decimals (10.5)
//   wallet family: decimal strings, two decimals on output ("150.00")

const POS_MONEY = { type: 'number', description: 'Amount: a JSON number with at most 2 decimals' } as const;
const WALLET_MONEY = { type: 'string', description: 'Decimal string with two decimals', example: '150.00' } as const;

/** A POS amount in a request: ≥ min, at most two decimals, at most 9,999,999,999.99; decoded to cents. */
export const posAmount = (min: string) => {
  const minMinor = parseDecimal(min)!;
  const wire = z
    .number()
    .refine((n) => parseJsonNumber(n) !== null, 'must have at most 2 decimals and be at most 9999999999.99')
    .refine((n) => (parseJsonNumber(n) ?? minMinor) >= minMinor, `must be at least ${min}`);
  return z.codec(wire, z.bigint(), { decode: (n) => parseJsonNumber(n)!, encode: toJsonNumber }).meta({ ...POS_MONEY, minimum: Number(min) });
};

/** A POS amount in a response (signed: a difference may be negative). */
export const posMoney = z
  .codec(z.number(), z.bigint(), { decode: (n) => parseSignedJsonNumber(n) ?? 0n, encode: toJsonNumber })
  .meta(POS_MONEY);

const DECIMAL_TEXT = /^\d{1,10}(\.\d{1,2})?$/;

/** A wallet amount in a request: a decimal string "150" or "150.00", > 0; decoded to cents. */
export const walletAmount = z.codec(
  z
    .string()
    .regex(DECIMAL_TEXT, 'must be a decimal string with at most 2 decimals, e.g. "150.00"')
    .refine((s) => (parseDecimal(s) ?? 0n) > 0n, 'must be greater than 0'),
  z.bigint(),
  { decode: (s) => parseDecimal(s)!, encode: formatDecimal },
).meta({ type: 'string', example: '150.00' });

/** A non-negative wallet amount in a request (0 allowed), e.g. an allowed negative limit. */
export const walletLimit = z.codec(
  z
    .string()
    .regex(DECIMAL_TEXT, 'must be a decimal string with at most 2 decimals, e.g. "50.00"')
    .refine((s) => parseDecimal(s) !== null, 'must be at most 9999999999.99'),
  z.bigint(),
  { decode: (s) => parseDecimal(s)!, encode: formatDecimal },
).meta({ type: 'string', example: '50.00' });

/** A wallet amount or balance in a response, signed: "150.00", "-5.00". */
export const walletMoney = z
  .codec(z.string(), z.bigint(), { decode: (s) => parseSignedDecimal(s) ?? 0n, encode: formatDecimal })
  .meta(WALLET_MONEY);

/** An instant in a response: ISO 8601 UTC (toISOString). */
export const timestamp = z
  .codec(z.string(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() })
  .meta({ type: 'string', format: 'date-time', description: 'ISO 8601 UTC' });
