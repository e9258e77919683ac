import type { FastifyInstance } from 'fastify';
import type { Actor } from '../core/actor.js';
import { forbidden, unauthorized } from '../core/errors.js';
import type { AuthService } from './auth.service.js';
import type { Role } from './roles.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No token needed (login, refresh, health, docs). */
    public?: boolean;
    /** Roles allowed on the route; absent = any authenticated user. */
    roles?: readonly Role[];
  }
}

// The scheme name is case-insensitive (RFC 7235); the token is not.
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9._~+/=-]{1,4096})$/;

export function bearerToken(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}

// Runs at onRequest, before the body is even read, so the order of checks is
// the contract's: 401 → 403 (role) → 400 (parsing, validation) → the rest.
export function installAuth(app: FastifyInstance, auth: AuthService) {
  app.decorateRequest('actor', undefined);
  app.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS' || request.is404) return;
    const cfg = request.routeOptions.config;
    if (cfg.public) return;
    const token = bearerToken(request.headers.authorization);
    const actor = token ? await auth.authenticate(token) : null;
    if (!actor) throw unauthorized();
    request.actor = actor;
    if (cfg.roles && !cfg.roles.includes(actor.role)) throw forbidden('Your role may not use this endpoint');
  });
}

/** The authenticated caller (routes behind installAuth always have one). */
export function actorOf(request: { actor?: Actor }): Actor {
  if (!request.actor) throw unauthorized();
  return request.actor;
}
