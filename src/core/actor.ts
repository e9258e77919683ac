import type { Role } from '../db/tables/auth.js';

/** The authenticated caller of a request (set by the auth hook). */
export interface Actor {
  id: string;
  email: string;
  nombres: string;
  role: Role;
  /** The login session the access token belongs to. */
  sessionId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}
