import type { Actor } from '../core/actor.js';
import type { Audience, OutboxEvent } from '../core/events.js';

// Who sees an event (API.md §6.5): Administradores and Usuarios all of
// them; an Operador those of their own sessions and collection points
// (audience.users) and the operator floats (audience.operadores); a
// Conductor their own wallet's only (audience.drivers).

export function canSee(actor: Actor, driverId: string | null, audience: Audience): boolean {
  switch (actor.role) {
    case 'Administrador':
    case 'Usuario':
      return true;
    case 'Operador':
      return audience.operadores === true || (audience.users ?? []).includes(actor.id);
    case 'Conductor':
      return driverId !== null && (audience.drivers ?? []).includes(driverId);
    default:
      return false;
  }
}

/** The `event` message and webhook body: {id, type, occurredAt, data}. */
export const eventMessage = (e: OutboxEvent) => ({ id: e.id.toString(), type: e.type, occurredAt: e.occurredAt.toISOString(), data: e.data });
