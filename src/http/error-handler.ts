import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ReplayedResponse, commonError } from '../core/errors.js';
import { errorBody, requestFamily, type Family } from '../core/family.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
}

/** Fastify/Zod validation output → a 400 naming each field, never echoing input. */
export function validationError(err: { validation: ValidationIssue[]; validationContext?: string }) {
  const details = err.validation.map((issue) => {
    const path = (issue.instancePath ?? '').split('/').filter(Boolean).join('.');
    const field = path || err.validationContext || 'request';
    return { field, message: `${field}: ${issue.message ?? 'is invalid'}` };
  });
  return commonError('VALIDATION_ERROR', details.map((d) => d.message).join('; ') || 'Invalid request', details);
}

// Fastify's own client errors (body parsing, limits) by code.
function fromFastify(err: FastifyError): DomainError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return commonError('INVALID_JSON', 'Body is not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return commonError('PAYLOAD_TOO_LARGE', 'Request body is larger than 1 MiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return commonError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  if (err instanceof SyntaxError) return commonError('INVALID_JSON', 'Body is not valid JSON');
  return fromStatus(err.statusCode);
}

/**
 * Any other error a plugin raises with a client status is still the client's
 * doing, never a 500. A 403 comes only from the static files (a path that
 * tries to leave the console's folder): there is nothing there, a 404.
 */
function fromStatus(status: number | undefined): DomainError | undefined {
  if (status === undefined || status < 400 || status > 499) return undefined;
  if (status === 403 || status === 404) return commonError('NOT_FOUND', 'Not Found');
  if (status === 413) return commonError('PAYLOAD_TOO_LARGE', 'Request body is larger than 1 MiB');
  return commonError('BAD_REQUEST', 'Bad Request');
}

export function toDomainError(err: unknown): DomainError | undefined {
  if (err instanceof DomainError) return err;
  const fe = err as FastifyError & { validation?: ValidationIssue[] };
  if (fe && Array.isArray(fe.validation)) return validationError(fe as never);
  if (fe && typeof fe === 'object' && 'code' in fe) return fromFastify(fe);
  if (fe && typeof fe === 'object') return fromStatus((fe as { statusCode?: number }).statusCode);
  return undefined;
}

/** Claims a keyed request's Idempotency-Key with its validation refusal; what to answer instead, if anything (idempotency.ts). */
export type ClaimKeyWithRefusal = (request: FastifyRequest, refusal: DomainError) => Promise<Error | 'stored' | undefined>;

/** JSON already rendered, sent as is: a stored response goes out byte for byte as it was stored. */
const sendText = (reply: FastifyReply, status: number, text: string) =>
  reply.code(status).type('application/json; charset=utf-8').serializer((p: unknown) => p as string).send(text);

/** A refusal in its family's body; 429 and 503 say when to come back (API.md §6.1). */
export function sendDomainError(reply: FastifyReply, family: Family, err: DomainError) {
  if (err.status === 429 || err.status === 503) reply.header('retry-after', String(err.retryAfter ?? 1));
  return reply.code(err.status).send(errorBody(family, err));
}

export function installErrorHandling(app: FastifyInstance, prefix: string, claimKeyWithRefusal?: ClaimKeyWithRefusal) {
  app.decorateRequest('family', 'pos');
  app.addHook('onRequest', async (request) => {
    request.family = requestFamily(request, prefix);
  });
  const replay = (reply: FastifyReply, err: ReplayedResponse) => sendText(reply.header('idempotent-replayed', 'true'), err.status, err.body);

  app.setErrorHandler(async (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ReplayedResponse) return replay(reply, err);
    // Errors raised before onRequest ran (e.g. a bad URL) have no family yet.
    const family = requestFamily(request, prefix);
    let domain = toDomainError(err);
    if (domain?.code === 'VALIDATION_ERROR' && claimKeyWithRefusal) {
      let instead: Error | 'stored' | undefined;
      try {
        instead = await claimKeyWithRefusal(request, domain);
      } catch (claimErr) {
        // Not stored: a 5xx, so a retry runs again (API.md §0).
        err = claimErr;
        domain = undefined;
      }
      if (instead instanceof ReplayedResponse) return replay(reply, instead);
      // The same text as stored (idempotency.ts renders it so), so a replay of it is byte-identical.
      if (instead === 'stored') return sendText(reply, domain!.status, JSON.stringify(errorBody(request.family, domain!)));
      if (instead) domain = toDomainError(instead);
    }
    if (domain) return sendDomainError(reply, family, domain);
    // Anything else is a bug or an infrastructure failure: log it whole,
    // answer with nothing that names code, SQL or tables.
    request.log.error({ err }, 'unhandled error');
    const status = 500;
    const body =
      family === 'wallet'
        ? { success: false, message: 'Internal Server Error', error: { code: 'INTERNAL_ERROR' } }
        : { statusCode: status, message: 'Internal Server Error', error: 'Internal Server Error', code: 'INTERNAL_ERROR' };
    return reply.code(status).send(body);
  });

  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send(errorBody(requestFamily(request, prefix), commonError('NOT_FOUND', `Cannot ${request.method} ${request.url.split('?', 1)[0]!.slice(0, 200)}`)));
  // An unknown path is answered before its body is read or parsed: a cheap 404.
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return notFound(request, reply);
  });
  app.setNotFoundHandler(notFound);
}
