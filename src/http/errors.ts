// Typed domain errors. Each feature declares its codes with their HTTP status
// in a `satisfies Record<…>` table, so a code without a status does not compile;
// the one error handler (error-handler.ts) turns them into either family's body.

export type ClientStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429;

export class DomainError extends Error {
  constructor(
    readonly status: ClientStatus,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Builds a typed factory from a feature's `code → status` table. */
export function errorFactory<Codes extends Record<string, ClientStatus>>(table: Codes) {
  return (code: keyof Codes & string, message: string, details?: unknown) =>
    new DomainError(table[code]!, code, message, details);
}

export const commonErrors = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  // Malformed input as far as the contract goes: its statuses have no 415.
  UNSUPPORTED_MEDIA_TYPE: 400,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_REQUEST_IN_FLIGHT: 409,
  TOO_MANY_REQUESTS: 429,
} as const satisfies Record<string, ClientStatus>;

export const commonError = errorFactory(commonErrors);

export const unauthorized = () => commonError('UNAUTHORIZED', 'Unauthorized');
export const forbidden = (message = 'Forbidden') => commonError('FORBIDDEN', message);
export const badRequest = (message: string, details?: unknown) => commonError('VALIDATION_ERROR', message, details);

/**
 * A stored idempotent response being replayed. Thrown so it leaves the
 * service the same way from any depth; the error handler sends it verbatim.
 */
export class ReplayedResponse extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super('replayed idempotent response');
  }
}
