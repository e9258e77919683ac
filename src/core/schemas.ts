import { z } from 'zod';

// Shared request/response building blocks. Strict types everywhere: no
// coercion, so "10" is not a number and 10 is not a string (API.md §0).

const noNul = (s: string) => !s.includes('\u0000');
// A lone UTF-16 surrogate is not text: PostgreSQL refuses it in jsonb and
// silently replaces it in text columns, so what was stored would differ.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const wellFormed = (s: string) => !LONE_SURROGATE.test(s);

/**
 * Characters as PostgreSQL's length() and JSON Schema's maxLength count them
 * (code points), not UTF-16 units as String.length does: "😀😀" is 2, so a
 * minimum checked on .length let through what a CHECK constraint refused.
 */
export const charCount = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Free text: ≤ max characters, no NUL. */
export const text = (max = 255) =>
  z
    .string()
    // Only a string of more than max units can have more than max characters.
    .refine((s) => s.length <= max || charCount(s) <= max, `at most ${max} characters`)
    .refine(noNul, 'must not contain NUL characters')
    .refine(wellFormed, 'must be well-formed Unicode')
    .meta({ maxLength: max });

export const nonEmptyText = (max = 255) =>
  text(max).refine((s) => s.trim().length > 0, 'must not be empty');

/** Integer ids of POS resources: 1..2^31−1. */
export const intId = z.number().int('must be an integer').min(1).max(2147483647);

/** Path parameters arrive as text; only plain decimal digits are ids. */
export const intIdParam = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, 'must be a positive integer id')
  .transform(Number)
  .refine((n) => n <= 2147483647, 'must be at most 2147483647');

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
/** UUID v4, returned lower-case. */
export const uuidV4 = z
  .string()
  .regex(UUID_V4, 'must be a UUID v4')
  .transform((s) => s.toLowerCase());

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
const ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;
// ISO 8601 as clients write it: seconds and fractions optional, a zone (Z or
// ±hh:mm) or none, which in this API of UTC timestamps (API.md §0) means UTC;
// or a bare date.
const isoInstant = z.union([
  z.iso.datetime({ offset: true, local: true }),
  z.iso.datetime({ offset: true, local: true, precision: -1 }),
  z.iso.date(),
]);
/** The instant a non-date string names; without a zone, UTC (JavaScript would read it as local time). */
const instant = (s: string) => new Date(ZONE.test(s) ? s : `${s}Z`);

/** `from` in a query string: inclusive; a bare date means its start (UTC). */
export const fromDate = isoInstant
  .transform((s) => (dateOnly.test(s) ? new Date(s) : instant(s)))
  .meta({ description: 'ISO 8601, inclusive (seconds optional; no zone means UTC); a bare date means its start (UTC)' });

/** An inclusive upper bound, as a comparison to apply to a timestamp column. */
export interface UpperBound {
  at: Date;
  op: '<=' | '<';
}

/** `to` in a query string: inclusive; a bare date (2025-12-31) covers that whole day (UTC). */
export const toDate = isoInstant
  .transform((s): UpperBound => (dateOnly.test(s) ? { at: new Date(Date.parse(s) + 86_400_000), op: '<' } : { at: instant(s), op: '<=' }))
  .meta({ description: 'ISO 8601, inclusive (seconds optional; no zone means UTC); a bare date (2025-12-31) covers the whole day (UTC)' });

/** Query-string integers are parsed explicitly (no generic coercion). */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be an integer')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

export const posError = z
  .object({
    statusCode: z.number(),
    message: z.union([z.string(), z.array(z.string())]),
    error: z.string(),
    code: z.string().meta({ description: 'Machine-readable reason, e.g. SESSION_CLOSED, VALIDATION_ERROR' }),
  })
  .meta({ id: 'PosError' });
