// Two response families, chosen by route (API.md §0): the wallet routes answer
// with the {success, message, data} envelope, everything else like the POS seed.
import { STATUS_CODES } from 'node:http';
import type { FastifyRequest } from 'fastify';

const WALLET_ROOTS = ['/drivers', '/cash-collection-points', '/drivers-balance', '/wallets-status'];

export type Family = 'pos' | 'wallet';

declare module 'fastify' {
  interface FastifyRequest {
    /** Which response family this request's route answers in. */
    family: Family;
  }
}

/**
 * The family of the route that matched (as registered, so `/%64rivers` is
 * `/drivers`), or, when none did, of the path as the router would decode it.
 */
export function requestFamily(request: FastifyRequest, prefix: string): Family {
  const route = request.routeOptions?.url;
  if (route) return familyOf(route, prefix);
  const path = request.url.split('?', 1)[0]!;
  try {
    return familyOf(decodeURIComponent(path), prefix);
  } catch {
    return familyOf(path, prefix);
  }
}

export function familyOf(url: string, prefix: string): Family {
  let path = url.split('?', 1)[0]!;
  if (prefix && path.startsWith(prefix)) path = path.slice(prefix.length);
  return WALLET_ROOTS.some((root) => path === root || path.startsWith(`${root}/`)) ? 'wallet' : 'pos';
}

/** Either family's error body; `err` is a DomainError, or a server status (503 while starting) shaped like one. */
export function errorBody(family: Family, err: { status: number; code: string; message: string; details?: unknown }) {
  if (family === 'wallet') {
    const error: { code: string; details?: unknown } = { code: err.code };
    if (err.details !== undefined) error.details = err.details;
    return { success: false, message: err.message, error };
  }
  // NestJS-style body: validation failures list each problem as a string.
  const message =
    err.code === 'VALIDATION_ERROR' && Array.isArray(err.details) && err.details.length > 0
      ? (err.details as { message: string }[]).map((d) => d.message)
      : err.message;
  // `code` is this service's addition (API.md §6.7): seed clients ignore it, consoles translate from it.
  return { statusCode: err.status, message, error: STATUS_CODES[err.status] ?? 'Error', code: err.code };
}

export function ok<T>(message: string, data: T, meta?: Record<string, unknown>) {
  return meta ? { success: true as const, message, data, meta } : { success: true as const, message, data };
}
