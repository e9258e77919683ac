import { sql, type SelectQueryBuilder } from 'kysely';
import { z } from 'zod';
import { queryInt } from './schemas.js';

// Paged lists: the page/limit query parameters, the one paged query, and the
// meta block of the wallet family's lists (the POS histories page the same
// way and send the total in X-Total-Count). Query strings are text: parsed
// explicitly, anything else is a 400.

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

export interface Page {
  page: number;
  limit: number;
}

export const pageMetaSchema = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  totalPages: z.number().int(),
});
export type PageMeta = z.infer<typeof pageMetaSchema>;

export const offsetOf = ({ page, limit }: Page) => (page - 1) * limit;

export function pageMeta({ page, limit }: Page, total: number | bigint | string): PageMeta {
  const n = Number(total);
  return { page, limit, total: n, totalPages: Math.ceil(n / limit) };
}

/**
 * One page of a filtered query and the total it has: `base` holds the joins
 * and filters, `rows` adds the columns and the order (which must end on a
 * unique column, so pages never overlap).
 */
export async function paginate<DB, TB extends keyof DB, O, R>(
  base: SelectQueryBuilder<DB, TB, O>,
  page: Page,
  rows: (q: SelectQueryBuilder<DB, TB, O>) => SelectQueryBuilder<DB, TB, R>,
): Promise<{ rows: R[]; meta: PageMeta }> {
  const counted = (await base.select(sql<string>`count(*)`.as('total')).executeTakeFirstOrThrow()) as { total: string };
  const items = await rows(base).limit(page.limit).offset(offsetOf(page)).execute();
  return { rows: items, meta: pageMeta(page, counted.total) };
}

/** A LIKE pattern matching `term` anywhere, its own % _ and \ taken literally. */
export const containsPattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The success envelope of a paginated list (family.ts `ok()` with a typed meta). */
export const paged = <T>(message: string, data: T[], meta: PageMeta) => ({ success: true as const, message, data, meta });
