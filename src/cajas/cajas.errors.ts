import { errorFactory, type ClientStatus } from '../core/errors.js';

export const cajasErrors = {
  CAJA_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  NO_OPEN_SESSION: 404,
  SESSION_NOT_OWNED: 403,
  SESSION_CLOSED: 409,
  CAJA_INACTIVE: 409,
  CAJA_HAS_OPEN_SESSION: 409,
  USER_HAS_OPEN_SESSION: 409,
  INSUFFICIENT_CASH: 409,
} as const satisfies Record<string, ClientStatus>;

export const cajasError = errorFactory(cajasErrors);
