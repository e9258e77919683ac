import type { Audience, OutboxEvent } from '../core/events.js';
import type { Role } from '../db/tables/auth.js';

// Who sees an event (API.md §6.5): Administradores and Usuarios all of
// them; an Operador those of their own sessions and collection points
// (audience.users) and the operator floats (audience.operadores); a
// Conductor their own wallet's only (audience.drivers). As Socket.IO rooms:
// a socket joins the rooms of what it may see, an event goes to the rooms of
// its audience, and a socket in several gets it once.

export const ROOM_ALL = 'all';
export const ROOM_OPERADORES = 'operadores';
export const ROOM_ANONYMOUS = 'anonymous';

/** The rooms a logged-in socket joins. */
export function roomsOf(viewer: { actor: { id: string; role: Role }; driverId: string | null }): string[] {
  switch (viewer.actor.role) {
    case 'Administrador':
    case 'Usuario':
      return [ROOM_ALL];
    case 'Operador':
      return [ROOM_OPERADORES, `user:${viewer.actor.id}`];
    case 'Conductor':
      return viewer.driverId ? [`driver:${viewer.driverId}`] : [];
    default:
      return [];
  }
}

/** The rooms an event goes to. */
export function roomsFor(audience: Audience): string[] {
  return [
    ROOM_ALL,
    ...(audience.operadores ? [ROOM_OPERADORES] : []),
    ...(audience.users ?? []).map((u) => `user:${u}`),
    ...(audience.drivers ?? []).map((d) => `driver:${d}`),
  ];
}

/** The `event` message and webhook body: {id, type, occurredAt, data}. */
export const eventMessage = (e: OutboxEvent) => ({ id: e.id.toString(), type: e.type, occurredAt: e.occurredAt.toISOString(), data: e.data });
