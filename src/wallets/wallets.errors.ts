import { errorFactory, type ClientStatus } from '../core/errors.js';

// Every error code the wallet routes answer with, and its HTTP status.
export const walletErrors = {
  WALLET_NOT_FOUND: 404,
  DRIVER_NOT_FOUND: 404,
  COLLECTION_POINT_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  CCR_NOT_FOUND: 404,
  COLLECTION_POINT_INACTIVE: 409,
  CURRENCY_MISMATCH: 400,
  INVALID_COLLECTOR: 400,
  INVALID_STAFF: 400,
  FORBIDDEN: 403,
  NOT_POINT_STAFF: 403,
  CCR_ALREADY_COMPLETED: 409,
  CCR_ALREADY_CANCELLED: 409,
  CONFLICT: 409,
  WALLET_BLOCKED: 409,
  INSUFFICIENT_FUNDS: 409,
  EMAIL_TAKEN: 409,
} as const satisfies Record<string, ClientStatus>;

export const walletError = errorFactory(walletErrors);
