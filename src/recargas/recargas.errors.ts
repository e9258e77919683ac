import { errorFactory, type ClientStatus } from '../core/errors.js';

export const recargasErrors = {
  OPERATOR_NOT_FOUND: 404,
  OPERATOR_INSUFFICIENT_BALANCE: 409,
  INSUFFICIENT_CASH: 409,
} as const satisfies Record<string, ClientStatus>;

export const recargasError = errorFactory(recargasErrors);
