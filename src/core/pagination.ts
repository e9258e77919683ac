import { z } from 'zod';
import { queryInt } from './schemas.js';

// Page/limit query parameters, offsets, and the meta block of paginated
// wallet lists (the recargas histories page with the same offsets).
// Query strings are text: parsed explicitly, anything else is a 400.

// Any page a client can name is a page: past the last one it is empty, not a
// 400. The bound is the contract's integer range (API.md §0), so page × limit
// stays an exact integer (at most 2.1e12 with a limit of 1000).
export const MAX_PAGE = 2_147_483_647;

export const pageQuery = (defaultLimit = 10, maxLimit = 100) => ({
  page: queryInt(1, MAX_PAGE).optional().default(1).meta({ description: 'Page number, ≥ 1 (default 1)' }),
  limit: queryInt(1, maxLimit)
    .optional()
    .default(defaultLimit)
    .meta({ description: `Items per page, 1–${maxLimit} (default ${defaultLimit})` }),
});

export const pageMetaSchema = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  totalPages: z.number().int(),
});
export type PageMeta = z.infer<typeof pageMetaSchema>;

export const offsetOf = (page: number, limit: number) => (page - 1) * limit;

export function pageMeta(page: number, limit: number, total: number | bigint | string): PageMeta {
  const n = Number(total);
  return { page, limit, total: n, totalPages: Math.ceil(n / limit) };
}

/** A LIKE pattern matching `term` anywhere, its own % _ and \ taken literally. */
export const containsPattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The success envelope of a paginated list (family.ts `ok()` with a typed meta). */
export const paged = <T>(message: string, data: T[], meta: PageMeta) => ({ success: true as const, message, data, meta });
