// Typed domain errors. Each feature declares its codes with their HTTP status
// in a `satisfies Record<…>` table, so a code without a status does not compile;
// the one error handler (error-handler.ts) turns them into either family's body.

/** Statuses a refusal may answer with: the client's, and 503 (starting, overloaded, shutting down). */
export type ClientStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 503;

export class DomainError extends Error {
  constructor(
    readonly status: ClientStatus,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Seconds, sent as Retry-After with a 429 or 503 (1 when not given). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Builds a typed factory from a feature's `code → status` table. */
export function errorFactory<Codes extends Record<string, ClientStatus>>(table: Codes) {
  return (code: keyof Codes & string, message: string, details?: unknown, retryAfter?: number) =>
    new DomainError(table[code]!, code, message, details, retryAfter);
}

export const commonErrors = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  JSON_TOO_DEEP: 400,
  BAD_REQUEST: 400,
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
  OVERLOADED: 503,
  SERVICE_STARTING: 503,
  SHUTTING_DOWN: 503,
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
