import { errorFactory, type ClientStatus } from '../core/errors.js';

export const reportesErrors = {
  SESSION_NOT_FOUND: 404,
  CAJA_NOT_FOUND: 404,
} as const satisfies Record<string, ClientStatus>;

export const reportesError = errorFactory(reportesErrors);
