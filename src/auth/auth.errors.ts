import { errorFactory } from '../core/errors.js';

export const authErrors = {
  INVALID_CREDENTIALS: 401,
  INVALID_REFRESH_TOKEN: 401,
  LOGIN_THROTTLED: 429,
  USER_NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  LAST_ADMIN: 409,
} as const;

export const authError = errorFactory(authErrors);
