import { errorFactory, type ClientStatus } from '../core/errors.js';
import type { OperadoraNombre } from '../db/tables/recargas.js';

export const recargasErrors = {
  OPERATOR_NOT_FOUND: 404,
  RECARGA_NOT_FOUND: 404,
  ALREADY_ANNULLED: 409,
  OPERATOR_INSUFFICIENT_BALANCE: 409,
  INSUFFICIENT_CASH: 409,
} as const satisfies Record<string, ClientStatus>;

export const recargasError = errorFactory(recargasErrors);

/** A float that cannot pay for a top-up. */
export const insufficientFloat = (operadora: OperadoraNombre) =>
  recargasError('OPERATOR_INSUFFICIENT_BALANCE', `${operadora} has not enough saldo_actual for this top-up`);
